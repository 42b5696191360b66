package io.widedeep.core.model;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Writes a model payload's body for {@link ModelCodec}: scalars, the wide table, gates, embeddings and the MLP, in the format's order. */
final class ModelBodyWriter {
    private ModelBodyWriter() {}

    static void body(ByteSink out, WideDeepModel m, boolean opt, boolean delta, boolean dense) {
        out.putLong(m.trainedExamples);
        out.putLong(m.batches);
        out.putLong(m.maxEventTime);
        out.putFloat(m.bias);
        // the counter mixture: its weights and the counter it mixes in (servers need both; the base
        // rate's counts stand again in the optimizer state below, where format 2 put them)
        out.putDouble(m.mixture.logOdds);
        out.putDouble(m.baseRate.clicks);
        out.putDouble(m.baseRate.examples);
        if (opt) {
            out.putDouble(m.biasZ[0]);
            out.putDouble(m.biasN[0]);
            out.putDouble(m.baseRate.clicks);
            out.putDouble(m.baseRate.examples);
        }
        NumericNormalizer nz = m.normalizer;
        out.putDouble(nz.count);
        for (int j = 0; j < nz.mean.length; j++) {
            out.putDouble(nz.mean[j]);
            out.putDouble(nz.m2[j]);
        }
        if (m.wide != null) {
            if (delta && opt) wideIncrement(out, m.wide);
            else if (delta) wideDelta(out, m.wide);
            else if (opt) wideExact(out, m.wide);
            else wideWeights(out, m.wide);
        }
        // only with wide.field_gates and deep.interaction_gate, which the spec (fingerprinted above) says
        if (m.gates != null) gates(out, m.gates, opt);
        if (m.interactionGate != null) gates(out, m.interactionGate, opt);
        for (EmbeddingTable t : m.embeddings) {
            if (delta && opt) embeddingIncrement(out, t);
            else if (delta) embeddingDelta(out, t);
            else if (opt) embeddingExact(out, t);
            else embeddingWeights(out, t);
        }
        if (m.mlp != null && dense) {
            writeArray(out, m.mlp.params);
            if (opt) {
                out.putLong(m.mlp.optimizer.iterations());
                for (INDArray s : m.mlp.optimizer.state()) writeArray(out, s);
            }
        }
    }

    /**
     * About the bytes {@link ModelCodec#encodeFull} writes (a little more, never less by much): the
     * sparse tables dominate, and growing the buffer by doubling copied a snapshot of ~100 MB about
     * twice over, on the training thread.
     */
    static int fullSizeHint(WideDeepModel m, boolean opt) {
        long bytes = 1 << 16; // header, spec, scalars, normalizer, gates
        if (m.wide != null) {
            bytes += opt ? m.wide.index.highWater() + (long) m.wide.size() * (8 + 4 + 8 + 8 + 8) + 4L * m.wide.index.highWater()
                    : 8 + (long) m.wide.nonZero() * (8 + 4);
        }
        for (EmbeddingTable t : m.embeddings) {
            long row = 8 + 4L * t.dim + (opt ? 4L * t.dim * t.stateWidth() + 8 : 0);
            bytes += (opt ? 5L * t.index.highWater() : 8) + t.size() * row; // admission counters, if any, may grow it once
        }
        if (m.mlp != null) {
            long params = m.mlp.numParams() * (m.mlp.dtype == DataType.DOUBLE ? 8 : 4);
            bytes += opt ? params * (1 + m.mlp.optimizer.state().length) : params;
        }
        return (int) Math.min(Integer.MAX_VALUE - 16, bytes + (bytes >> 6));
    }

    /** What an exact snapshot writes for one occupied slot, after its key. */
    private interface SlotWriter {
        void write(int slot);
    }

    /**
     * A table's slots exactly as they lie (free ones included, so a restored table probes the same
     * way): the high-water mark, then per slot whether it is occupied and, if so, its key and what
     * {@code occupied} writes; then the free list.
     */
    private static void exactSlots(ByteSink out, SlotIndex idx, SlotWriter occupied) {
        int hw = idx.highWater();
        out.putInt(hw);
        for (int s = 0; s < hw; s++) {
            boolean occ = idx.occupied(s);
            out.putBoolean(occ);
            if (occ) {
                out.putLong(idx.key(s));
                occupied.write(s);
            }
        }
        writeInts(out, idx.freeSlots());
    }

    private static void wideExact(ByteSink out, WideTable t) {
        exactSlots(out, t.index, wideRow(out, t));
    }

    /** A wide slot with its optimizer state, as exact snapshots and increments write it. */
    private static SlotWriter wideRow(ByteSink out, WideTable t) {
        return s -> {
            out.putFloat(t.w[s]);
            out.putDouble(t.z[s]);
            out.putDouble(t.n[s]);
            out.putLong(t.lastSeen[s]);
        };
    }

    /** An embedding slot with its optimizer state, as exact snapshots and increments write it. */
    private static SlotWriter embeddingRow(ByteSink out, EmbeddingTable t) {
        int sw = t.stateWidth() * t.dim;
        return s -> {
            out.putFloats(t.rows, s * t.dim, t.dim);
            out.putFloats(t.state, s * sw, sw);
            out.putLong(t.lastSeen[s]);
        };
    }

    /** (key, value) pairs: their count, then the longs. */
    private static void writePairs(ByteSink out, long[] pairs) {
        out.putInt(pairs.length / 2);
        for (long v : pairs) out.putLong(v);
    }

    /** Field gates or the FM pair weights: the weights, then with optimizer state their AdaGrad sums. */
    private static void gates(ByteSink out, FieldGates gates, boolean opt) {
        for (float g : gates.gate) out.putFloat(g);
        if (opt) {
            for (double a : gates.accumulator) out.putDouble(a);
        }
    }

    private static void wideWeights(ByteSink out, WideTable t) {
        SlotIndex idx = t.index;
        out.putInt(0); // no removals
        out.putInt(t.nonZero());
        for (int s = 0, hw = idx.highWater(); s < hw; s++) {
            if (idx.occupied(s) && t.w[s] != 0f) {
                out.putLong(idx.key(s));
                out.putFloat(t.w[s]);
            }
        }
    }

    private static void wideDelta(ByteSink out, WideTable t) {
        int[] changed = t.changes.changedInSlotOrder();
        LongArrayList removed = new LongArrayList(t.changes.removed());
        int nonZero = 0;
        for (int s : changed) {
            if (t.w[s] == 0f) removed.add(t.index.key(s)); else nonZero++;
        }
        out.putInt(removed.size());
        for (int i = 0; i < removed.size(); i++) out.putLong(removed.getLong(i));
        out.putInt(nonZero);
        for (int s : changed) {
            if (t.w[s] != 0f) {
                out.putLong(t.index.key(s));
                out.putFloat(t.w[s]);
            }
        }
    }

    /**
     * What changed in an index since the last increment: the high-water mark, the keys that left,
     * each changed slot with its key and what {@code row} writes, and the free list's change (its
     * low-water mark since the last increment and the entries above it).
     */
    private static void slotIncrement(ByteSink out, SlotIndex idx, ChangeLog c, SlotWriter row) {
        out.putInt(idx.highWater());
        LongArrayList removed = c.removed();
        out.putInt(removed.size());
        for (int i = 0; i < removed.size(); i++) out.putLong(removed.getLong(i));
        int[] changed = c.changedInSlotOrder();
        out.putInt(changed.length);
        for (int s : changed) {
            out.putInt(s);
            out.putLong(idx.key(s));
            row.write(s);
        }
        IntArrayList free = idx.freeSlots();
        int low = idx.freeLowWater();
        out.putInt(low);
        out.putInt(free.size() - low);
        for (int i = low; i < free.size(); i++) out.putInt(free.getInt(i));
    }

    private static void wideIncrement(ByteSink out, WideTable t) {
        slotIncrement(out, t.index, t.checkpointChanges, wideRow(out, t));
    }

    private static void embeddingIncrement(ByteSink out, EmbeddingTable t) {
        slotIncrement(out, t.index, t.checkpointChanges, embeddingRow(out, t));
        long[] changed = t.changedPending();
        boolean all = changed == null; // a halving of the admission counters changed all of them
        out.putBoolean(all);
        writePairs(out, all ? t.pendingCounts() : changed);
    }

    private static void embeddingExact(ByteSink out, EmbeddingTable t) {
        exactSlots(out, t.index, embeddingRow(out, t));
        writePairs(out, t.pendingCounts());
    }

    private static void embeddingWeights(ByteSink out, EmbeddingTable t) {
        SlotIndex idx = t.index;
        out.putInt(0);
        out.putInt(idx.size());
        for (int s = 0, hw = idx.highWater(); s < hw; s++) {
            if (idx.occupied(s)) {
                out.putLong(idx.key(s));
                out.putFloats(t.rows, s * t.dim, t.dim);
            }
        }
    }

    private static void embeddingDelta(ByteSink out, EmbeddingTable t) {
        LongArrayList removed = t.changes.removed();
        out.putInt(removed.size());
        for (int i = 0; i < removed.size(); i++) out.putLong(removed.getLong(i));
        int[] changed = t.changes.changedInSlotOrder();
        out.putInt(changed.length);
        for (int s : changed) {
            out.putLong(t.index.key(s));
            out.putFloats(t.rows, s * t.dim, t.dim);
        }
    }

    private static void writeInts(ByteSink out, IntArrayList ints) {
        out.putInt(ints.size());
        for (int i = 0; i < ints.size(); i++) out.putInt(ints.getInt(i));
    }

    private static void writeArray(ByteSink out, INDArray a) {
        int n = (int) a.length();
        out.putByte(a.dataType() == DataType.DOUBLE ? 1 : 0);
        out.putInt(n);
        if (a.dataType() == DataType.DOUBLE) {
            var buf = a.data().asNioDouble();
            for (int i = 0; i < n; i++) out.putDouble(buf.get(i));
        } else {
            var buf = a.data().asNioFloat();
            for (int i = 0; i < n; i++) out.putFloat(buf.get(i));
        }
    }

}
