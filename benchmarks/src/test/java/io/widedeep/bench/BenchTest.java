package io.widedeep.bench;

import io.widedeep.core.config.ConfigException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.widedeep.core.config.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BenchTest {

    @Test
    void benchReportsThroughputAndQualityAsOneJsonLine() throws Exception {
        Path men = Path.of("..", "..", "shared", "data", "open-bandit", "bts", "men", "men.csv").toAbsolutePath().normalize();
        assumeTrue(Files.exists(men), "shared data present");
        String line = Bench.run(Bench.OPTIONS.parse(new String[] {"--data", men.toString(), "--format", "obd", "--limit", "4000",
                "--model", "wide", "--quiet"}));
        assertTrue(!line.contains("\n"));
        JsonNode j = new ObjectMapper().readTree(line);
        assertEquals(4000, j.get("examples").asLong());
        assertEquals("wide", j.get("model").asText());
        for (String k : new String[] {"seconds", "examples_per_sec", "logloss", "auc", "logloss_last20", "auc_last20", "ctr"}) {
            assertTrue(j.has(k), k);
        }
        assertTrue(j.get("auc").asDouble() >= 0 && j.get("auc").asDouble() <= 1);
        assertTrue(j.get("ctr").asDouble() > 0 && j.get("ctr").asDouble() < 0.05);
        assertEquals(0, j.get("dense_params").asLong(), "the wide-only model has no MLP");
        assertThrows(ConfigException.class, () -> Bench.run(Bench.OPTIONS.parse(new String[] {"--data", men.toString(),
                "--format", "obd", "--model", "linear"})));
    }

    @Test
    void compareRunsEachVariantOnTheSameFileAndPrintsOneTable() throws Exception {
        Path men = Path.of("..", "..", "shared", "data", "open-bandit", "bts", "men", "men.csv").toAbsolutePath().normalize();
        assumeTrue(Files.exists(men), "shared data present");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Bench.compare(Bench.OPTIONS.parse(new String[] {"--data", men.toString(), "--format", "obd", "--limit", "3000", "--quiet"}),
                List.of("widedeep", "wide", "deep"), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines[0].startsWith("model") && lines[1].startsWith("widedeep") && lines[2].startsWith("wide ")
                && lines[3].startsWith("deep") && lines[4].startsWith("running CTR"), String.join("\n", lines));
        JsonNode runs = new ObjectMapper().readTree(lines[lines.length - 1]).get("compare");
        assertEquals(3, runs.size());
        assertEquals(0, runs.get(1).get("dense_params").asLong(), "wide has no MLP");
        assertEquals(0, runs.get(2).get("wide_coordinates").asLong(), "deep has no wide part");
        assertTrue(runs.get(0).get("dense_params").asLong() > 0 && runs.get(0).get("wide_coordinates").asLong() > 0);
        for (JsonNode r : runs) {
            assertEquals(runs.get(0).get("running_ctr_logloss").asDouble(), r.get("running_ctr_logloss").asDouble(),
                    "the same file, so the same baseline");
        }
    }
}
