package io.widedeep.datasets;

/**
 * Paces a producer at a steady rate against the clock it started on: the n-th call of
 * {@link #awaitTurn} returns no earlier than n / rate seconds after construction. Falling behind is
 * not made up for by bursts larger than the backlog. Used by the demo's producer, {@code replay}
 * and the streaming benchmark.
 */
public final class Pacer {
    private final double nanosPerEvent;
    private final long start = System.nanoTime();
    private long sent;

    /** @param eventsPerSecond the rate; 0 or less means as fast as possible */
    public Pacer(double eventsPerSecond) {
        this.nanosPerEvent = eventsPerSecond > 0 ? 1e9 / eventsPerSecond : 0;
    }

    /** Waits until the next event is due, then counts it. */
    public void awaitTurn() throws InterruptedException {
        long wait = start + (long) (sent * nanosPerEvent) - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        sent++;
    }

    /** Events paced so far. */
    public long sent() {
        return sent;
    }

    /** Seconds since the pacer started. */
    public double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
