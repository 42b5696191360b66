package io.widedeep.serving.os;

import com.sun.jna.Function;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A short Linux scheduler time slice for the threads started while it is open.
 *
 * <p>Linux 6.6+ schedules normal threads by EEVDF: a runnable thread gets a virtual deadline one
 * slice ahead, and since 6.12 a thread may ask for its own slice ({@code sched_setattr(2)},
 * {@code SCHED_OTHER} with {@code sched_runtime}, clamped to 0.1–100 ms); a thread waking with a
 * shorter slice than the running one preempts it at once. With the default slice (1.4 ms on a
 * 2-core box) a request thread that wakes on a core where a batch thread (a trainer's compaction,
 * a neighbour's job) is running may wait up to that long, at every hop of the request: an open-loop
 * client beside the demo measured p99 4.4–4.6 ms at 500 requests/s; with 0.1 ms slices for the
 * server and the client, 2.6–3.7 ms. It asks for nothing an unprivileged process may not ask for, and
 * it changes only the ordering of wake-ups, not any thread's share of the CPU.
 *
 * <p>New threads inherit the slice of the thread that starts them, so a scope around the code that
 * starts a server's threads covers them and every thread they start later; {@link #close} gives the
 * calling thread its slice back. On other systems, older kernels, or a thread that is not
 * {@code SCHED_OTHER}/{@code SCHED_BATCH}, nothing changes and {@link #outcome} says why.
 */
public final class SchedulerSlice implements AutoCloseable {
    private static final int ATTR_SIZE = 56; // struct sched_attr, SCHED_ATTR_SIZE_VER1
    private static final int POLICY = 4, RUNTIME = 24;
    private static final int SCHED_OTHER = 0, SCHED_BATCH = 3;

    private final Memory previous;
    private final String outcome;
    private final boolean applied;

    private SchedulerSlice(Memory previous, boolean applied, String outcome) {
        this.previous = previous;
        this.applied = applied;
        this.outcome = outcome;
    }

    /** Asks for a slice of {@code micros} µs for the calling thread (0: leave the kernel's default). */
    public static SchedulerSlice forThreadsStartedHere(long micros) {
        if (micros <= 0) return new SchedulerSlice(null, false, "kernel default (sched.slice.us 0)");
        int[] nr = syscallNumbers();
        if (nr == null) {
            return new SchedulerSlice(null, false, "kernel default (custom slices are a Linux feature; here "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ")");
        }
        try {
            Memory before = attrOfThisThread(nr);
            int policy = before.getInt(POLICY);
            if (policy != SCHED_OTHER && policy != SCHED_BATCH) {
                return new SchedulerSlice(null, false, "kernel default (the thread's policy is " + policy
                        + ", not SCHED_OTHER)");
            }
            Memory wanted = copy(before);
            wanted.setLong(RUNTIME, micros * 1000);
            set(nr, wanted);
            long now = sliceOfThisThreadNs();
            if (now >= 0 && now != micros * 1000) {
                set(nr, before);
                return new SchedulerSlice(null, false, "kernel default (this kernel ignores custom slices; Linux 6.12+ has them)");
            }
            return new SchedulerSlice(before, true, micros + " µs");
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return new SchedulerSlice(null, false, "kernel default (sched_setattr: " + e.getMessage() + ")");
        }
    }

    /** True when the slice was set. */
    public boolean applied() {
        return applied;
    }

    /** What was done, for the start-up line: {@code "100 µs"} or {@code "kernel default (why)"}. */
    public String outcome() {
        return outcome;
    }

    /** Gives the calling thread its slice back; threads started meanwhile keep the short one. */
    @Override
    public void close() {
        if (previous == null) return;
        try {
            set(syscallNumbers(), previous);
        } catch (LastErrorException | UnsatisfiedLinkError ignored) {
            // it was settable a moment ago; at worst the calling thread keeps the short slice
        }
    }

    /** The calling thread's slice from {@code /proc/thread-self/sched}, or -1 when it cannot be read. */
    public static long sliceOfThisThreadNs() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/sched"))) {
                if (line.startsWith("se.slice")) {
                    return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** {sched_setattr, sched_getattr} for this architecture, or null where there is none. */
    private static int[] syscallNumbers() {
        if (!System.getProperty("os.name", "").equals("Linux")) return null;
        return switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> new int[] {314, 315};
            case "aarch64" -> new int[] {274, 275};
            default -> null;
        };
    }

    private static Function syscall() {
        return Function.getFunction("c", "syscall", Function.THROW_LAST_ERROR);
    }

    private static Memory attrOfThisThread(int[] nr) {
        Memory attr = new Memory(ATTR_SIZE);
        attr.clear();
        syscall().invokeInt(new Object[] {(long) nr[1], 0, attr, ATTR_SIZE, 0}); // pid 0: this thread
        return attr;
    }

    private static void set(int[] nr, Memory attr) {
        attr.setInt(0, ATTR_SIZE);
        syscall().invokeInt(new Object[] {(long) nr[0], 0, attr, 0});
    }

    private static Memory copy(Memory m) {
        Memory c = new Memory(ATTR_SIZE);
        c.write(0, m.getByteArray(0, ATTR_SIZE), 0, ATTR_SIZE);
        return c;
    }
}
