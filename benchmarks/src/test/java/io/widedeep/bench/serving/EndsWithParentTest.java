package io.widedeep.bench.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process load-bench starts runs its main class (here a stall meter, which never returns) and ends
 * when the pipe load-bench holds closes, as it does when load-bench is killed.
 */
class EndsWithParentTest {
    @Test
    void runsItsMainClassUntilTheParentsPipeCloses(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("stalls.txt");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-Xmx16m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                EndsWithParent.class.getName(), StallMeter.class.getName(), file.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertFalse(child.waitFor(2, TimeUnit.SECONDS), "it runs while its parent holds the pipe");
            assertTrue(Files.exists(file), "the main class it was given ran (the meter made its file)");
            child.getOutputStream().close(); // what the kernel does when load-bench dies, even by kill -9
            assertTrue(child.waitFor(10, TimeUnit.SECONDS), "it ended with its standard input");
            assertEquals(0, child.exitValue());
        } finally {
            child.destroyForcibly();
        }
    }
}
