package io.widedeep.core.metrics;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Counts of non-negative millisecond latencies in log-linear buckets: exact below 32 ms, then 16
 * buckets per power of two (each at most 1/16 of its lower bound wide), up to about 18 hours. A fixed
 * array of counters: recording allocates nothing, two histograms merge by adding counts, and a
 * histogram travels in a few hundred bytes ({@link #writeTo}), so each model update can carry the
 * latencies of the examples it contains and a server can add its own share to them.
 *
 * <p>Quantiles are reported as the largest value of the bucket that holds them (never below the
 * true value, at most 1/16 above it). Negative inputs (clocks of two machines that disagree) count
 * as 0. Not thread-safe: one writer, and readers that tolerate a count in flight, or a lock.
 */
public final class LatencyHistogram {
    private static final int EXACT = 32;
    private static final int SUB = 16;
    private static final int MAX_EXPONENT = 26; // 2^27 ms is 37 hours
    static final int BUCKETS = EXACT + (MAX_EXPONENT - 4) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long count;
    private long sum;
    private long max;

    /** The bucket a value falls in. */
    static int bucket(long ms) {
        if (ms < EXACT) return (int) Math.max(ms, 0);
        int e = 63 - Long.numberOfLeadingZeros(ms);
        if (e > MAX_EXPONENT) return BUCKETS - 1;
        int sub = (int) (ms >>> (e - 4)) & (SUB - 1);
        return EXACT + (e - 5) * SUB + sub;
    }

    /** Smallest value of a bucket. */
    static long lowerBound(int b) {
        if (b < EXACT) return b;
        int e = (b - EXACT) / SUB + 5;
        long sub = (b - EXACT) % SUB;
        return (SUB + sub) << (e - 4);
    }

    /** Largest value of a bucket. */
    static long upperBound(int b) {
        return b == BUCKETS - 1 ? Long.MAX_VALUE : lowerBound(b + 1) - 1;
    }

    public void record(long ms) {
        record(ms, 1);
    }

    /** {@code n} examples that each took {@code ms}. */
    public void record(long ms, long n) {
        if (n <= 0) return;
        long v = Math.max(ms, 0);
        counts[bucket(v)] += n;
        count += n;
        sum += v * n;
        if (v > max) max = v;
    }

    /** Adds another histogram's counts to this one. */
    public void add(LatencyHistogram other) {
        for (int b = 0; b < BUCKETS; b++) counts[b] += other.counts[b];
        count += other.count;
        sum += other.sum;
        max = Math.max(max, other.max);
    }

    /**
     * Adds another histogram's counts with every value moved by {@code shiftMs}: the latencies up to
     * one point plus a delay every one of those examples shared after it. A bucket moves as its
     * largest value does, so the result stays an upper bound.
     */
    public void addShifted(LatencyHistogram other, long shiftMs) {
        for (int b = 0; b < BUCKETS; b++) {
            long n = other.counts[b];
            if (n == 0) continue;
            long v = Math.min(upperBound(b), other.max) + shiftMs;
            counts[bucket(Math.max(v, 0))] += n;
        }
        count += other.count;
        sum += other.sum + shiftMs * other.count;
        max = Math.max(max, Math.max(other.max + shiftMs, 0));
    }

    public void clear() {
        Arrays.fill(counts, 0);
        count = 0;
        sum = 0;
        max = 0;
    }

    public long count() {
        return count;
    }

    public long max() {
        return max;
    }

    public double mean() {
        return count == 0 ? Double.NaN : (double) sum / count;
    }

    /** The q-quantile (0 &lt; q &le; 1) as its bucket's largest value (capped at the largest seen); -1 if empty. */
    public long quantile(double q) {
        if (count == 0) return -1;
        long rank = Math.max(1, (long) Math.ceil(q * count));
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += counts[b];
            if (seen >= rank) return Math.min(upperBound(b), max);
        }
        return max;
    }

    /** How many recorded values are at most {@code ms}, counting whole buckets (for cumulative bucket exports). */
    public long countAtMost(long ms) {
        long n = 0;
        for (int b = 0; b < BUCKETS && upperBound(b) <= ms; b++) n += counts[b];
        return n;
    }

    /** Sum of all recorded values, ms. */
    public long sum() {
        return sum;
    }

    /** Appends the histogram: the non-empty buckets, then the sum and the maximum. */
    public void writeTo(ByteBuffer out) {
        out.putShort((short) usedBuckets());
        for (int b = 0; b < BUCKETS; b++) {
            if (counts[b] != 0) out.putShort((short) b).putLong(counts[b]);
        }
        out.putLong(sum).putLong(max);
    }

    /** Bytes {@link #writeTo} needs. */
    public int encodedSize() {
        return 2 + usedBuckets() * 10 + 16;
    }

    private int usedBuckets() {
        int used = 0;
        for (long c : counts) if (c != 0) used++;
        return used;
    }

    /** Reads what {@link #writeTo} wrote, replacing this histogram's contents. */
    public void readFrom(ByteBuffer in) {
        clear();
        int used = in.getShort();
        if (used < 0 || used > BUCKETS) throw new IllegalArgumentException("histogram with " + used + " buckets");
        for (int i = 0; i < used; i++) {
            int b = in.getShort();
            long c = in.getLong();
            if (b < 0 || b >= BUCKETS || c < 0) throw new IllegalArgumentException("histogram bucket " + b + " count " + c);
            counts[b] += c;
            count += c;
        }
        sum = in.getLong();
        max = in.getLong();
    }
}
