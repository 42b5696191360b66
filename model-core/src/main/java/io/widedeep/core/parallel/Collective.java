package io.widedeep.core.parallel;

/**
 * A fixed group of {@code size()} trainers that exchange data in lock step, each call a collective
 * that every rank makes in the same order with the same shapes. Results are the same bits on every
 * rank: a sum is taken in rank order by each rank over the same gathered blocks, so replicas that
 * start equal stay equal.
 *
 * <p>A rank that does not answer within the group's timeout makes the others fail with a
 * {@link CollectiveException}: a stalled peer ends in a restart, never in a hang.
 */
public interface Collective extends AutoCloseable {
    int rank();

    int size();

    /**
     * Every rank's block, concatenated in rank order: rank r contributes {@code counts[r]} floats
     * (its own from {@code mine[0..counts[rank])}), which land in {@code out} after the blocks of
     * ranks below it. Every rank passes the same {@code counts}.
     */
    void allGather(float[] mine, int[] counts, float[] out);

    /** {@link #allGather(float[], int[], float[])} for doubles. */
    void allGather(double[] mine, int[] counts, double[] out);

    /**
     * Replaces {@code data[0..length)} by the sum over ranks, added in rank order on every rank (so
     * every rank holds the same bits). {@code gathered} is scratch of at least {@code size() * length}.
     */
    default void allReduceSum(float[] data, int length, float[] gathered) {
        allGather(data, equalCounts(size(), length), gathered);
        for (int r = 1, n = size(); r < n; r++) {
            for (int i = 0, base = r * length; i < length; i++) gathered[i] += gathered[base + i];
        }
        System.arraycopy(gathered, 0, data, 0, length);
    }

    /** {@link #allReduceSum(float[], int, float[])} for doubles. */
    default void allReduceSum(double[] data, int length, double[] gathered) {
        allGather(data, equalCounts(size(), length), gathered);
        for (int r = 1, n = size(); r < n; r++) {
            for (int i = 0, base = r * length; i < length; i++) gathered[i] += gathered[base + i];
        }
        System.arraycopy(gathered, 0, data, 0, length);
    }

    private static int[] equalCounts(int size, int length) {
        int[] counts = new int[size];
        java.util.Arrays.fill(counts, length);
        return counts;
    }

    /** Time spent inside collectives and bytes this rank sent, since the group opened. */
    CollectiveStats stats();

    @Override
    void close();

    /** Counters of one rank's collectives. */
    final class CollectiveStats {
        public long calls;
        public long nanos;
        public long bytesSent;
    }
}
