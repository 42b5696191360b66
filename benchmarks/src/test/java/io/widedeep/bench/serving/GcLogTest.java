package io.widedeep.bench.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcLogTest {
    @Test
    void longestPauseAndSafepointWithinTheWindowOnly(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gc.log");
        Files.writeString(log, """
                [2.435s][info][safepoint   ] Safepoint "ICBufferFull", Time since last: 4941107 ns, Reaching safepoint: 139432 ns, Cleanup: 14377 ns, At safepoint: 17375649 ns, Total: 17529458 ns
                [2.500s][info][gc,phases   ] GC(0) Y: Pause Mark Start 9.120ms
                [10.100s][info][gc,phases   ] GC(3) Pause Mark Start 0.012ms
                [10.200s][info][gc,phases   ] GC(3) Pause Mark End 0.031ms
                [10.250s][info][gc          ] GC(3) Garbage Collection (Warmup) 820M(10%)->140M(2%)
                [11.000s][info][safepoint   ] Safepoint "ZMarkStart", Time since last: 486136334 ns, Reaching safepoint: 86402 ns, Cleanup: 24385 ns, At safepoint: 3643604 ns, Total: 3754391 ns
                [12.000s][info][safepoint   ] Safepoint "Cleanup", Time since last: 1000000000 ns, Reaching safepoint: 100 ns, Cleanup: 100 ns, At safepoint: 1000 ns, Total: 1200 ns
                [31.000s][info][gc,phases   ] GC(9) Pause Relocate Start 4.000ms
                """);
        GcLog.Pauses p = GcLog.read(log, 10.0, 30.0);
        assertEquals(0.031, p.maxGcPauseMs(), 1e-9);
        assertEquals(3.754391, p.maxSafepointMs(), 1e-9);
        GcLog.Pauses all = GcLog.read(log, 0, 100);
        assertEquals(9.12, all.maxGcPauseMs(), 1e-9);
        assertEquals(17.529458, all.maxSafepointMs(), 1e-9);
    }

    @Test
    void readsTheUptimeAfterAWallClockTime(@TempDir Path dir) throws Exception {
        // what the bench asks for (time,uptime,...): the wall-clock time lines a pause up with the paced client's slow log
        Path log = dir.resolve("gc.log");
        Files.writeString(log, """
                [2026-12-03T14:25:36.907+0000][5.000s][info][gc,phases   ] GC(3) Pause Mark Start 0.900ms
                [2026-12-03T14:25:46.907+0000][15.000s][info][gc,phases   ] GC(4) Pause Mark End 0.045ms
                """);
        assertEquals(0.045, GcLog.read(log, 10.0, 30.0).maxGcPauseMs(), 1e-9);
        assertEquals(0.9, GcLog.read(log, 0, 30.0).maxGcPauseMs(), 1e-9);
    }
}
