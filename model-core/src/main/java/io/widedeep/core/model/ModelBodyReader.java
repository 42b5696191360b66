package io.widedeep.core.model;

import java.io.IOException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reads what {@link ModelBodyWriter} wrote, into a model, for {@link ModelCodec}, older format versions included. */
final class ModelBodyReader {
    private ModelBodyReader() {}

    static void readBody(ByteSource in, WideDeepModel m, int version, boolean opt, boolean delta, boolean dense)
            throws IOException {
        readScalars(in, m, version, opt);
        NumericNormalizer nz = m.normalizer;
        nz.count = in.readDouble();
        for (int j = 0; j < nz.mean.length; j++) {
            nz.mean[j] = in.readDouble();
            nz.m2[j] = in.readDouble();
        }
        if (m.wide != null) {
            if (opt && delta) readWideIncrement(in, m.wide);
            else if (opt) readWideExact(in, m.wide);
            else readWideSparse(in, m.wide);
        }
        if (m.gates != null) readGates(in, m.gates, opt);
        if (m.interactionGate != null) readGates(in, m.interactionGate, opt);
        for (EmbeddingTable t : m.embeddings) {
            if (opt && delta) readEmbeddingIncrement(in, t);
            else if (opt) readEmbeddingExact(in, t);
            else readEmbeddingSparse(in, t);
        }
        if (m.mlp != null && dense) {
            readArray(in, m.mlp.params);
            if (opt) {
                m.mlp.optimizer.setIterations(in.readLong());
                for (INDArray s : m.mlp.optimizer.state()) readArray(in, s);
            }
        }
        if (in.available() != 0) {
            throw new IOException(in.available() + " unexpected bytes after the model body");
        }
    }

    /** Counters, the intercept, the counter mixture and, with optimizer state, the bias's FTRL state and base rate. */
    /** Field gates or the FM pair weights: the weights, then with optimizer state their AdaGrad sums. */
    private static void readGates(ByteSource in, FieldGates gates, boolean opt) throws IOException {
        for (int g = 0; g < gates.size(); g++) gates.gate[g] = in.readFloat();
        if (opt) {
            for (int g = 0; g < gates.size(); g++) gates.accumulator[g] = in.readDouble();
        }
    }

    private static void readScalars(ByteSource in, WideDeepModel m, int version, boolean opt) throws IOException {
        m.trainedExamples = in.readLong();
        m.batches = in.readLong();
        m.maxEventTime = in.readLong();
        m.bias = in.readFloat();
        if (version >= 3) {
            m.mixture.logOdds = in.readDouble();
            m.baseRate.clicks = in.readDouble();
            m.baseRate.examples = in.readDouble();
        } else {
            // written before the mixture: a trainer starts its weights at the prior (below); a server scores
            // with the model alone until an update of version 3 arrives
            m.mixture.logOdds = Double.NEGATIVE_INFINITY;
        }
        if (opt) {
            m.biasZ[0] = in.readDouble();
            m.biasN[0] = in.readDouble();
            if (version >= 2) {
                m.baseRate.clicks = in.readDouble();
                m.baseRate.examples = in.readDouble();
            } else {
                // Version 1 learned the whole intercept by FTRL: it becomes the base rate's estimate
                // (as if seen over the examples trained so far) and the learned offset starts over.
                m.baseRate.examples = Math.min(m.trainedExamples, 1_000_000);
                m.baseRate.clicks = m.baseRate.examples / (1 + Math.exp(-m.bias));
                m.biasZ[0] = 0;
                m.biasN[0] = 0;
            }
            if (version < 3) {
                m.mixture.reset();
            }
        }
    }

    private static void readWideExact(ByteSource in, WideTable t) throws IOException {
        int hw = in.readInt();
        long[] keys = new long[hw];
        boolean[] occ = new boolean[hw];
        t.index.restore(0, new long[0], new boolean[0], new int[0]);
        t.ensureCapacity();
        float[] w = new float[hw];
        double[] z = new double[hw];
        double[] n = new double[hw];
        long[] seen = new long[hw];
        for (int s = 0; s < hw; s++) {
            occ[s] = in.readBoolean();
            if (occ[s]) {
                keys[s] = in.readLong();
                w[s] = in.readFloat();
                z[s] = in.readDouble();
                n[s] = in.readDouble();
                seen[s] = in.readLong();
            }
        }
        t.index.restore(hw, keys, occ, readInts(in));
        t.ensureCapacity();
        System.arraycopy(w, 0, t.w, 0, hw);
        System.arraycopy(z, 0, t.z, 0, hw);
        System.arraycopy(n, 0, t.n, 0, hw);
        System.arraycopy(seen, 0, t.lastSeen, 0, hw);
    }

    /** Reads what {@link #slotIncrement} wrote: removals, then each changed slot through {@code row}, then the layout. */
    private interface SlotReader {
        void read(int slot) throws IOException;
    }

    private static void readSlotIncrement(ByteSource in, SlotIndex idx, Runnable grow, SlotReader row) throws IOException {
        int hw = in.readInt();
        int removed = in.readInt();
        for (int i = 0; i < removed; i++) idx.removeKey(in.readLong());
        int changed = in.readInt();
        for (int i = 0; i < changed; i++) {
            int s = in.readInt();
            idx.place(s, in.readLong());
            grow.run();
            row.read(s);
        }
        int low = in.readInt();
        idx.setLayout(hw, low, readInts(in));
        grow.run();
    }

    private static void readWideIncrement(ByteSource in, WideTable t) throws IOException {
        readSlotIncrement(in, t.index, t::ensureCapacity, s -> {
            t.w[s] = in.readFloat();
            t.z[s] = in.readDouble();
            t.n[s] = in.readDouble();
            t.lastSeen[s] = in.readLong();
        });
    }

    private static void readEmbeddingIncrement(ByteSource in, EmbeddingTable t) throws IOException {
        int sw = t.stateWidth() * t.dim;
        readSlotIncrement(in, t.index, t::ensureCapacity, s -> {
            in.readFloats(t.rows, s * t.dim, t.dim);
            in.readFloats(t.state, s * sw, sw);
            t.lastSeen[s] = in.readLong();
        });
        boolean all = in.readBoolean();
        long[] kv = readPairs(in);
        if (all) t.restorePending(kv); else t.updatePending(kv);
    }

    private static void readWideSparse(ByteSource in, WideTable t) throws IOException {
        int removed = in.readInt();
        for (int i = 0; i < removed; i++) t.remove(in.readLong());
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            long key = in.readLong();
            t.put(key, in.readFloat());
        }
    }

    private static void readEmbeddingExact(ByteSource in, EmbeddingTable t) throws IOException {
        int hw = in.readInt();
        int dim = t.dim;
        int sw = t.stateWidth() * dim;
        long[] keys = new long[hw];
        boolean[] occ = new boolean[hw];
        float[] rows = new float[hw * dim];
        float[] state = new float[hw * sw];
        long[] seen = new long[hw];
        for (int s = 0; s < hw; s++) {
            occ[s] = in.readBoolean();
            if (occ[s]) {
                keys[s] = in.readLong();
                in.readFloats(rows, s * dim, dim);
                in.readFloats(state, s * sw, sw);
                seen[s] = in.readLong();
            }
        }
        t.index.restore(hw, keys, occ, readInts(in));
        t.ensureCapacity();
        System.arraycopy(rows, 0, t.rows, 0, rows.length);
        System.arraycopy(state, 0, t.state, 0, state.length);
        System.arraycopy(seen, 0, t.lastSeen, 0, hw);
        t.restorePending(readPairs(in));
    }

    private static void readEmbeddingSparse(ByteSource in, EmbeddingTable t) throws IOException {
        int removed = in.readInt();
        for (int i = 0; i < removed; i++) t.remove(in.readLong());
        int n = in.readInt();
        float[] row = new float[t.dim];
        for (int i = 0; i < n; i++) {
            long key = in.readLong();
            in.readFloats(row, 0, t.dim);
            t.put(key, row, 0);
        }
    }

    private static int[] readInts(ByteSource in) throws IOException {
        int[] v = new int[in.readInt()];
        for (int i = 0; i < v.length; i++) v[i] = in.readInt();
        return v;
    }

    private static void readArray(ByteSource in, INDArray target) throws IOException {
        boolean dbl = in.readByte() == 1;
        int n = in.readInt();
        if (n != target.length()) {
            throw new IOException("dense array of " + n + " values, model expects " + target.length());
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = dbl ? in.readDouble() : in.readFloat();
        if (target.dataType() == DataType.DOUBLE) {
            target.data().asNioDouble().put(v);
        } else {
            var fb = target.data().asNioFloat();
            for (int i = 0; i < n; i++) fb.put(i, (float) v[i]);
        }
    }

    private static long[] readPairs(ByteSource in) throws IOException {
        long[] kv = new long[in.readInt() * 2];
        for (int i = 0; i < kv.length; i++) kv[i] = in.readLong();
        return kv;
    }
}
