package io.widedeep.core.model;

import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import org.nd4j.linalg.api.buffer.DataType;

/** How far apart two models' weights are, matched by feature key (slot layouts may differ). */
public final class ModelWeights {
    private ModelWeights() {}

    /**
     * ||a - b|| / ||b|| over every weight: the bias, the wide weights and embedding rows of every key
     * either model holds (a key one of them lacks counts as zeros there), and the MLP's parameters.
     */
    public static double relativeDistance(WideDeepModel a, WideDeepModel b) {
        double[] sums = new double[2]; // squared difference, squared norm of b
        add(sums, a.bias, b.bias);
        if (a.wide != null) {
            for (long k : keys(a.wide.index, b.wide.index)) add(sums, a.wide.weight(k), b.wide.weight(k));
        }
        for (int t = 0; t < a.embeddings.length; t++) {
            EmbeddingTable ta = a.embeddings[t], tb = b.embeddings[t];
            for (long k : keys(ta.index, tb.index)) {
                int sa = ta.index.get(k), sb = tb.index.get(k);
                for (int j = 0; j < ta.dim; j++) {
                    add(sums, sa < 0 ? 0 : ta.rows[sa * ta.dim + j], sb < 0 ? 0 : tb.rows[sb * tb.dim + j]);
                }
            }
        }
        if (a.mlp != null) {
            var pa = a.mlp.params.castTo(DataType.DOUBLE).data().asNioDouble();
            var pb = b.mlp.params.castTo(DataType.DOUBLE).data().asNioDouble();
            if (pa.limit() != pb.limit()) throw new AssertionError("MLPs of " + pa.limit() + " and " + pb.limit() + " parameters");
            for (int i = 0; i < pa.limit(); i++) add(sums, pa.get(i), pb.get(i));
        }
        return Math.sqrt(sums[0] / sums[1]);
    }

    private static void add(double[] sums, double a, double b) {
        sums[0] += (a - b) * (a - b);
        sums[1] += b * b;
    }

    private static long[] keys(SlotIndex a, SlotIndex b) {
        LongOpenHashSet keys = new LongOpenHashSet();
        for (SlotIndex idx : new SlotIndex[] {a, b}) {
            for (int s = 0, hw = idx.highWater(); s < hw; s++) {
                if (idx.occupied(s)) keys.add(idx.key(s));
            }
        }
        return keys.toLongArray();
    }
}
