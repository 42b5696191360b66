package io.widedeep.flink;

import io.widedeep.core.config.ConfigException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobOptionsTest {
    private static String key(String... args) {
        return assertThrows(ConfigException.class, () -> new JobOptions(args)).key();
    }

    @Test
    void badOptionsFailNamingTheKey(@TempDir Path dir) throws Exception {
        assertEquals("--bootstrap.servers", key("--spec", "criteo"));
        assertEquals("--publish.interval", key("--bootstrap.servers", "k:9092", "--spec", "criteo", "--publish.interval", "5"));
        assertEquals("--checkpoint.interval.ms", key("--bootstrap.servers", "k:9092", "--spec", "criteo", "--checkpoint.interval.ms", "soon"));
        assertEquals("--starting.offsets", key("--bootstrap.servers", "k:9092", "--spec", "criteo", "--starting.offsets", "middle"));
        assertEquals("--spec", key("--bootstrap.servers", "k:9092", "--spec", "nonesuch"));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"fields\": [{\"name\": \"a\", \"source\": \"item_id\"}], \"wide\": {\"fields\": [\"b\"]}}");
        assertEquals("--spec wide.fields[0]", key("--bootstrap.servers", "k:9092", "--spec", bad.toString()));
        Path props = dir.resolve("job.properties");
        Files.writeString(props, "bootstrap.servers=k:9092\nspec=criteo\nwindow=5\n");
        assertEquals("--window", key("--config", props.toString()));
        assertEquals("--checkpoint.dir", key("--bootstrap.servers", "k:9092", "--spec", "criteo", "--checkpoint.dir", "s3://b/x y"));
    }

    @Test
    void aPlainCheckpointPathBecomesAFileUri() {
        JobOptions o = new JobOptions(new String[] {"--bootstrap.servers", "k:9092", "--spec", "criteo",
                "--checkpoint.dir", "runs/../ck"});
        assertEquals(Path.of("ck").toAbsolutePath().toUri().toString(), o.checkpointDir);
        assertEquals("s3://bucket/ck", new JobOptions(new String[] {"--bootstrap.servers", "k:9092", "--spec", "criteo",
                "--checkpoint.dir", "s3://bucket/ck"}).checkpointDir);
    }

    @Test
    void kafkaClientPropertiesPassThroughAndFileIsOverriddenByCommandLine(@TempDir Path dir) throws Exception {
        Path props = dir.resolve("job.properties");
        Files.writeString(props, "bootstrap.servers=k:9092\nspec=criteo\nkafka.security.protocol=SASL_SSL\n"
                + "kafka.sasl.mechanism=PLAIN\npublish.min.interval.ms=1000\n");
        JobOptions o = new JobOptions(new String[] {"--config", props.toString(), "--publish.min.interval.ms", "250"});
        assertEquals("SASL_SSL", o.kafka.getProperty("security.protocol"));
        assertEquals("PLAIN", o.kafka.getProperty("sasl.mechanism"));
        assertEquals(250, o.publish.minIntervalMs());
        assertEquals(26, o.spec().deepFields().length);
    }
}
