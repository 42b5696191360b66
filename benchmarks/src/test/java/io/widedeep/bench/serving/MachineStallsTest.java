package io.widedeep.bench.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Machine stalls are the times every CPU's meter was late; a run's figures outside them leave out
 * exactly the requests whose time overlapped one. The meter itself runs as load-bench runs it, in a
 * JVM of its own, and is stopped from outside (SIGSTOP) as a host stops a guest.
 */
class MachineStallsTest {
    @Test
    void aMachineStallIsWhenEveryCpuWasLate() {
        long[] cpu0 = {10, 20, 30, 50, 60, 70};
        long[] cpu1 = {15, 35, 45, 65};
        assertArrayEquals(new long[] {15, 20, 30, 35, 45, 50, 60, 65}, MachineStalls.intersect(List.of(cpu0, cpu1)));
        long[] cpu2 = {0, 32, 61, 62};
        assertArrayEquals(new long[] {15, 20, 30, 32, 61, 62}, MachineStalls.intersect(List.of(cpu0, cpu1, cpu2)));
        assertArrayEquals(new long[0], MachineStalls.intersect(List.of(cpu0, new long[0])), "a CPU that was never late");
        // only those in the window and long enough
        assertArrayEquals(new long[] {30, 35, 45, 50}, MachineStalls.within(new long[] {15, 20, 30, 35, 45, 50, 60, 65}, 34, 60, 5));
        assertEquals(0.000005, MachineStalls.longestMs(new long[] {15, 20, 30, 32}), 1e-12);
    }

    @Test
    void figuresOutsideStallsLeaveOutTheRequestsTheyTouched() {
        // ten requests every 1 ms (in µs-sized nanos for readability), latency 100 except three
        long[] due = new long[10];
        long[] latency = new long[10];
        for (int i = 0; i < 10; i++) {
            due[i] = i * 1_000_000L;
            latency[i] = 100_000L * (i + 1); // 0.1 ... 1.0 ms
        }
        latency[4] = 9_000_000L; // due at 4 ms, answered at 13 ms: in flight during the stall
        latency[6] = 7_500_000L; // due at 6 ms, answered at 13.5 ms
        long[] stalls = {5_500_000L, 12_000_000L};
        MachineStalls.Outside o = MachineStalls.outside(due, latency, stalls);
        // touched: 4 (4..13 ms), 5 (5..5.6 ms overlaps from 5.5), 6 (6..13.5), 7, 8, 9 (due within the stall)
        assertEquals(6, o.excluded());
        assertEquals(4, o.requests());
        assertEquals(0.4, o.maxMs(), 1e-9); // requests 0-3: 0.1-0.4 ms
        assertEquals(0.2, o.p50Ms(), 1e-9);
        MachineStalls.Outside all = MachineStalls.outside(due, latency, new long[0]);
        assertEquals(10, all.requests());
        assertEquals(9.0, all.maxMs(), 1e-9);
    }

    @Test
    void requestsFileRoundTrips(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("requests.bin");
        MachineStalls.writeRequests(f, new long[] {5, Long.MAX_VALUE, 7}, new long[] {1, 2, -3}, 2);
        long[][] back = MachineStalls.readRequests(f);
        assertArrayEquals(new long[] {5, Long.MAX_VALUE}, back[0]);
        assertArrayEquals(new long[] {1, 2}, back[1]);
    }

    @Test
    void aMeterStoppedFromOutsideWritesDownTheStallInThisProcessesClock(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("stalls.txt");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process meter = new ProcessBuilder(java, "-Xmx16m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                StallMeter.class.getName(), file.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(file) && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(Files.exists(file), "the meter started");
            Thread.sleep(500);
            long stoppedAt = System.nanoTime();
            signal("STOP", meter.pid());
            Thread.sleep(300);
            long continuedAt = System.nanoTime();
            signal("CONT", meter.pid());
            Thread.sleep(500);
            long[] late = MachineStalls.read(file);
            long[] longest = {0, 0};
            for (int i = 0; i < late.length; i += 2) {
                if (late[i + 1] - late[i] > longest[1] - longest[0]) longest = new long[] {late[i], late[i + 1]};
            }
            long stall = longest[1] - longest[0];
            assertTrue(stall >= 250_000_000L && stall < 2_000_000_000L, "the 300 ms stop, got " + stall / 1e6 + " ms");
            // the meter's nanoTime is this JVM's (CLOCK_MONOTONIC): the stall lies around the stop
            assertTrue(longest[0] < continuedAt && longest[1] > stoppedAt && longest[0] > stoppedAt - 50_000_000L,
                    "stall " + longest[0] + ".." + longest[1] + " vs stop " + stoppedAt + ".." + continuedAt);
        } finally {
            meter.destroy();
            meter.waitFor();
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        // the shell's own kill: no procps needed
        assertEquals(0, new ProcessBuilder("sh", "-c", "kill -" + sig + " " + pid).start().waitFor());
    }
}
