package io.widedeep.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.bench.stream.StreamingBench;
import io.widedeep.demo.Demo;
import io.widedeep.demo.Replay;
import io.widedeep.core.config.OptionException;
import io.widedeep.core.config.OptionSet;
import io.widedeep.flink.JobOptions;
import io.widedeep.bench.serving.ServingBench;
import io.widedeep.serving.ServingServer;
import io.widedeep.bench.serving.FeaturesBench;
import io.widedeep.bench.serving.LoadBench;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every command's {@code --help} is printed from the option set that parses its command line: each
 * option the parser accepts is listed once with its default (or "required") and a meaning, and
 * nothing else is accepted.
 */
class HelpTest {
    private static final Map<String, OptionSet> COMMANDS = Map.ofEntries(Map.entry("train", JobOptions.OPTIONS),
            Map.entry("serve", ServingServer.OPTIONS), Map.entry("bench", Bench.OPTIONS), Map.entry("demo", Demo.OPTIONS),
            Map.entry("replay", Replay.OPTIONS), Map.entry("stream-bench", StreamingBench.OPTIONS),
            Map.entry("serve-bench", ServingBench.OPTIONS), Map.entry("load-bench", LoadBench.OPTIONS),
            Map.entry("gpu-check", GpuCheck.OPTIONS), Map.entry("features-bench", FeaturesBench.OPTIONS),
            Map.entry("gen-planted", PlantedInteractionFile.OPTIONS));

    @Test
    void helpListsExactlyTheOptionsTheParserAccepts() {
        COMMANDS.forEach((command, options) -> {
            String help = assertThrows(OptionSet.HelpRequested.class, () -> options.parse(new String[] {"--help"})).getMessage();
            assertTrue(help.startsWith("widedeep " + command + " "), command + ": usage first:\n" + help);
            long optionLines = help.lines().filter(l -> l.startsWith("  --")).count();
            assertEquals(options.names().size() + options.prefixes().size() + 2, optionLines,
                    command + ": one line per option, prefix, --config and --help:\n" + help);
            for (String name : options.names()) {
                String line = help.lines().filter(l -> l.startsWith("  --" + name + " ")).findFirst().orElse(null);
                assertTrue(line != null, command + ": --" + name + " is accepted but not in the help");
                assertTrue(line.matches(".*\\S.*\\(([^()]+; )?(default .+|required|not set)\\)$"),
                        command + ": --" + name + " has a meaning and a default: " + line);
                String range = options.get(name).range().describe();
                assertTrue(line.contains("(" + range + (range.isEmpty() ? "" : "; ")), command + ": --" + name + " shows its range: " + line);
            }
            OptionException unknown = assertThrows(OptionException.class,
                    () -> options.parse(new String[] {"--no.such.option", "1"}));
            assertEquals("--no.such.option", unknown.key());
        });
    }

    @Test
    void trainListsNoTestHookAndRefusesAValueOutOfRangeNamingOptionAndRange() {
        String help = JobOptions.OPTIONS.help();
        assertFalse(help.contains("fail.after") || help.toLowerCase().contains("test hook"), help);
        assertTrue(help.contains("--trainer.parallelism") && help.contains("(1..64; default 1)"), help);
        OptionException e = assertThrows(OptionException.class, () -> new JobOptions(
                new String[] {"--bootstrap.servers", "k:9092", "--spec", "criteo", "--trainer.parallelism", "65"}));
        assertEquals("--trainer.parallelism", e.key());
        assertTrue(e.getMessage().contains("1..64") && e.getMessage().contains("65"), e.getMessage());
        OptionException hook = assertThrows(OptionException.class, () -> new JobOptions(
                new String[] {"--bootstrap.servers", "k:9092", "--spec", "criteo", "--fail.after", "10"}));
        assertEquals("--fail.after", hook.key());
        OptionException backend = assertThrows(OptionException.class, () -> new JobOptions(
                new String[] {"--bootstrap.servers", "k:9092", "--spec", "criteo", "--trainer.backend", "cuda"}));
        assertEquals("--trainer.backend", backend.key());
        assertTrue(backend.getMessage().contains("nd4j|torch-cpu|torch-cuda"), backend.getMessage());
    }

    @Test
    void theDeclaredDefaultIsTheValueAndIsCheckedLikeInput() {
        JobOptions o = new JobOptions(new String[] {"--bootstrap.servers", "k:9092", "--spec", "criteo"});
        String help = JobOptions.OPTIONS.help();
        assertTrue(help.contains("--publish.min.interval.ms") && help.contains("; default " + o.publish.minIntervalMs() + ")"), help);
        assertTrue(help.contains("; default " + o.joinTimes.windowMs() + ")"), help);
        assertEquals(false, o.fresh);
        assertTrue(new JobOptions(new String[] {"--bootstrap.servers", "k:9092", "--spec", "criteo", "--fresh"}).fresh);
    }
}
