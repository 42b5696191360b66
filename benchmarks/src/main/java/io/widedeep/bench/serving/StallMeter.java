package io.widedeep.bench.serving;

import io.widedeep.serving.os.SchedulerSlice;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

/**
 * A hiccup meter for one CPU, run by {@code widedeep load-bench} in a small JVM of its own per CPU
 * ({@code taskset -c N}): a thread with a 100 µs scheduler slice asks to wake every millisecond and
 * writes down each time it woke more than {@link #LATE_NS} late, as {@code "fromNanos toNanos"} lines
 * ({@link System#nanoTime}, which on Linux is {@code CLOCK_MONOTONIC} and so comparable across the
 * bench's processes). A thread that needs a few µs of every millisecond can be kept waiting that
 * long only by what no process can preempt: the kernel's non-preemptible work on that CPU, or the
 * machine itself not running (a virtual machine whose host has taken its CPUs away: steal time that
 * a guest without steal accounting never sees). When the meters of <em>every</em> CPU were late at
 * the same time, nothing on the machine ran, the server included: see {@link MachineStalls}.
 *
 * <p>One JVM per CPU, not one thread per CPU in one JVM: a pause of that JVM (a safepoint) would stop
 * every meter at once and look exactly like a machine stall.
 */
public final class StallMeter {
    /** Wake-ups later than this are written down. */
    static final long LATE_NS = 2_000_000L;
    /** 4 wake-ups a millisecond cost 8 % of a CPU here (timer set-ups in a VM); one costs 2 %. */
    private static final long PERIOD_NS = 1_000_000L;

    private StallMeter() {}

    /** {@code OUT_FILE}: appends each late wake-up to the file until the process is stopped. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Thread meter;
        try (SchedulerSlice slice = SchedulerSlice.forThreadsStartedHere(100)) {
            meter = new Thread(() -> measure(out), "stall-meter");
            meter.start();
        }
        meter.join();
    }

    private static void measure(Path out) {
        try (Writer w = Files.newBufferedWriter(out, StandardCharsets.US_ASCII,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            w.flush(); // the file exists from the start: an empty file means no stall, not no meter
            long last = System.nanoTime();
            while (true) {
                LockSupport.parkNanos(PERIOD_NS);
                long now = System.nanoTime();
                if (now - last > PERIOD_NS + LATE_NS) {
                    w.write((last + PERIOD_NS) + " " + now + "\n");
                    w.flush();
                }
                last = now;
            }
        } catch (IOException e) {
            throw new IllegalStateException("stall meter cannot write " + out, e);
        }
    }
}
