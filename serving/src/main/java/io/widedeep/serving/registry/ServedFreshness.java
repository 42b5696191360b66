package io.widedeep.serving.registry;

import io.widedeep.core.metrics.FreshnessBreakdown;
import io.widedeep.core.updates.ModelUpdate;
import java.util.concurrent.atomic.LongAdder;

/**
 * How fresh what this server serves is, example by example: the {@link FreshnessBreakdown} each
 * update carries from the job, completed with the update's transit to this server and the time it
 * took to be served ({@link FreshnessBreakdown#addServed}), summed over every update served since
 * start. The feed thread adds; metric scrapes read a copy.
 */
public final class ServedFreshness {
    private final FreshnessBreakdown total = new FreshnessBreakdown();
    private final LongAdder unreadable = new LongAdder();

    /** An update read at {@code receivedAt} was serving from {@code servedAt} (wall-clock ms). */
    public void served(ModelUpdate u, long receivedAt, long servedAt) {
        FreshnessBreakdown carried;
        try {
            carried = FreshnessBreakdown.decode(u.freshness());
        } catch (IllegalArgumentException e) {
            unreadable.increment(); // the model is fine; only its latency report is not
            return;
        }
        if (carried.examples() == 0) return;
        synchronized (total) {
            total.addServed(carried, u.createdAt(), receivedAt, servedAt);
        }
    }

    /** A copy of the running total. */
    public FreshnessBreakdown snapshot() {
        FreshnessBreakdown copy = new FreshnessBreakdown();
        synchronized (total) {
            copy.add(total);
        }
        return copy;
    }

    /** Forgets what was served so far: a benchmark's measured window begins. */
    public void reset() {
        synchronized (total) {
            total.clear();
        }
    }

    /** Updates whose freshness breakdown could not be read. */
    public long unreadable() {
        return unreadable.sum();
    }
}
