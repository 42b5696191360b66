package io.widedeep.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a person sees: the demo's real main in its own JVM for a short run. Its console carries the
 * widedeep lines only (start-up summary, live progress, recommendations, the summary on exit); what
 * Flink and Kafka log goes to {@code <dir>/logs/demo.log}.
 */
class DemoConsoleIT {
    private static final Pattern LIBRARY_LOG_LINE = Pattern.compile("^\\d{2}:\\d{2}:\\d{2}[.,]\\d{3} +(TRACE|DEBUG|INFO|WARN|ERROR)\\b.*");

    @Test
    void theConsoleShowsWidedeepLinesOnlyAndTheLibrariesLogToAFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("console.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=java.lang,java.math,java.io,java.net,org.apache.avro.reflect,io.widedeep",
                "-cp", System.getProperty("java.class.path"), Demo.class.getName(),
                "--duration", "25", "--dir", dir.resolve("run").toString(), "--port", "0", "--flink.port", "0")
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = p.waitFor(150, TimeUnit.SECONDS);
        if (!exited) p.destroyForcibly();
        String console = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(exited, "the demo stops by itself after --duration:\n" + console);
        assertEquals(0, p.exitValue(), console);

        List<String> lines = Arrays.stream(console.split("[\r\n]+")).filter(l -> !l.isBlank()).toList();
        for (String line : lines) {
            assertTrue(!LIBRARY_LOG_LINE.matcher(line).matches(), "a library log line on the console: " + line);
            assertTrue(!line.startsWith("Bootstrap metadata") && !line.startsWith("Formatting metadata")
                    && !line.startsWith("SLF4J"), "library output on the console: " + line);
        }
        assertTrue(lines.get(0).startsWith("widedeep demo: Kafka at localhost:"), console);
        assertTrue(lines.get(1).contains("learning curve in") && lines.get(1).contains("logs in"), console);
        assertTrue(lines.stream().anyMatch(l -> l.matches("[\\d,]+ events \\(\\d+/s\\) \\| [\\d,]+ examples trained \\| PV logloss .* \\| model \\d+ \\| fresh .*")),
                "an intact progress line:\n" + console);
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("widedeep demo: ") && last.contains("events produced") && last.contains("logs in"),
                "the summary on exit:\n" + console);

        Path log = dir.resolve("run").resolve("logs").resolve("demo.log");
        String logged = Files.readString(log);
        assertTrue(logged.contains("org.apache.flink") && logged.contains("formatted the broker's storage"),
                "Flink's and the broker's lines are in " + log);
    }
}
