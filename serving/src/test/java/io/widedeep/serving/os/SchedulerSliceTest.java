package io.widedeep.serving.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SchedulerSliceTest {
    /** The slice a new thread started by the calling thread runs with. */
    private static long sliceOfANewThread() throws InterruptedException {
        AtomicLong slice = new AtomicLong(-2);
        Thread t = new Thread(() -> slice.set(SchedulerSlice.sliceOfThisThreadNs()));
        t.start();
        t.join();
        return slice.get();
    }

    @Test
    void threadsStartedInTheScopeKeepTheShortSliceAndTheCallerGetsItsOwnBack() throws Exception {
        long before = SchedulerSlice.sliceOfThisThreadNs();
        assumeTrue(before > 0, "no /proc/thread-self/sched here");
        Thread[] started = new Thread[1];
        AtomicLong insideLater = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        try (SchedulerSlice s = SchedulerSlice.forThreadsStartedHere(250)) {
            assumeTrue(s.applied(), "custom slices need Linux 6.12+: " + s.outcome());
            assertEquals("250 µs", s.outcome());
            assertEquals(250_000, SchedulerSlice.sliceOfThisThreadNs());
            assertEquals(250_000, sliceOfANewThread());
            started[0] = new Thread(() -> {
                try {
                    go.await(); // reads its slice after the scope has closed
                } catch (InterruptedException e) {
                    return;
                }
                insideLater.set(SchedulerSlice.sliceOfThisThreadNs());
            });
            started[0].start();
        }
        assertEquals(before, SchedulerSlice.sliceOfThisThreadNs(), "the calling thread has its slice back");
        assertEquals(before, sliceOfANewThread(), "threads started after the scope get the usual slice");
        go.countDown();
        started[0].join();
        assertEquals(250_000, insideLater.get(), "a thread started in the scope keeps the short slice after it");
    }

    @Test
    void zeroLeavesTheKernelDefault() throws Exception {
        long before = SchedulerSlice.sliceOfThisThreadNs();
        try (SchedulerSlice s = SchedulerSlice.forThreadsStartedHere(0)) {
            assertFalse(s.applied());
            assertTrue(s.outcome().startsWith("kernel default"), s.outcome());
            assertEquals(before, SchedulerSlice.sliceOfThisThreadNs());
            assertEquals(before, sliceOfANewThread());
        }
    }
}
