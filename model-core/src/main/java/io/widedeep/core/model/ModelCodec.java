package io.widedeep.core.model;

import io.widedeep.core.spec.FeatureSpec;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.IntPredicate;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The binary format of models: full snapshots (optionally with optimizer state, for checkpoints
 * and exact resumption) and deltas (weights that changed since the previous publish, for serving).
 *
 * <pre>
 * magic "WDMODEL1" | format version | kind (FULL/DELTA) | flags | spec fingerprint
 * [FULL: spec JSON] | counters | bias | numeric normaliser | wide | [field gates] | embeddings | MLP
 * CRC-32C of all preceding bytes | total length
 * </pre>
 * Full snapshots keep the exact slot layout of every table, so a model restored from a snapshot
 * taken with optimizer state continues bit-identically. Deltas and weights-only snapshots carry
 * only non-zero wide weights (absent means zero). Anything truncated or corrupted is refused before
 * a single field is read.
 */
public final class ModelCodec {
    private static final long MAGIC = 0x57444D4F44454C31L; // "WDMODEL1"
    /**
     * 2 added the base rate's counts to the optimizer state; 3 the counter mixture (its counts and
     * weights) to every payload; 4 deltas that leave the dense part out (flag {@link #NO_DENSE}).
     * Versions 1 to 3 are still read.
     */
    private static final int FORMAT_VERSION = 4;
    private static final byte WITH_OPTIMIZER_STATE = 1;
    /** A delta without the MLP's parameters: a reader keeps the ones it has. */
    private static final byte NO_DENSE = 2;
    private static final int FIRST_READABLE_VERSION = 1;
    private static final byte FULL = 0;
    private static final byte DELTA = 1;
    private static final int TRAILER = 4 + 8;

    private ModelCodec() {}

    // ------------------------------------------------------------------ writing

    /** A full snapshot; with optimizer state it restores a trainable model, without it a serving one. */
    public static byte[] encodeFull(WideDeepModel m, boolean withOptimizerState) {
        if (withOptimizerState && !m.trainable) {
            throw new IllegalArgumentException("a serving model has no optimizer state to save");
        }
        return write(out -> {
            header(out, m, FULL, withOptimizerState ? WITH_OPTIMIZER_STATE : 0);
            byte[] spec = m.spec.json().getBytes(StandardCharsets.UTF_8);
            out.putInt(spec.length);
            out.putBytes(spec);
            body(out, m, withOptimizerState, false, true);
        });
    }

    /**
     * A delta with everything that changed since the last {@link #clearChanges}: changed and removed
     * wide weights and embedding rows, and all dense parameters (they change at every step).
     */
    public static byte[] encodeDelta(WideDeepModel m) {
        return encodeDelta(m, true);
    }

    /**
     * A delta as {@link #encodeDelta(WideDeepModel)}, but without the MLP's parameters unless
     * {@code withDense}: the sparse rows an update's examples touched are a fraction of the dense
     * part's size, so updates that leave it out can go out far more often for the same bytes.
     */
    public static byte[] encodeDelta(WideDeepModel m, boolean withDense) {
        return write(out -> {
            header(out, m, DELTA, withDense ? 0 : NO_DENSE);
            body(out, m, false, true, withDense);
        });
    }

    /**
     * A checkpoint increment: everything that changed since the last increment or
     * {@link #startIncrements} (changed rows and their optimizer state, each at its slot; removed keys;
     * the free lists), and all dense and scalar state. Applied in order with {@link #applyDelta} to
     * the full snapshot (with optimizer state) written when the increments started, it gives this model
     * exactly, slot layout included. Its size follows the rows touched, not the model.
     */
    public static byte[] encodeIncrement(WideDeepModel m) {
        if (!m.trainable || (m.wide != null && m.wide.checkpointChanges == null)
                || (m.embeddings.length > 0 && m.embeddings[0].checkpointChanges == null)) {
            throw new IllegalStateException("increments need a trainable model that records them (startIncrements)");
        }
        byte[] bytes = write(out -> {
            header(out, m, DELTA, WITH_OPTIMIZER_STATE);
            body(out, m, true, true, true);
        });
        if (m.wide != null) {
            m.wide.checkpointChanges.clear();
            m.wide.index.markIncrement();
        }
        for (EmbeddingTable t : m.embeddings) {
            t.checkpointChanges.clear();
            t.index.markIncrement();
        }
        return bytes;
    }

    /**
     * From now on the model records what the next {@link #encodeIncrement} writes: call it right
     * after writing the full snapshot the increments will follow.
     */
    public static void startIncrements(WideDeepModel m) {
        if (m.wide != null) {
            m.wide.checkpointChanges = new ChangeLog();
            m.wide.index.markIncrement();
        }
        for (EmbeddingTable t : m.embeddings) {
            t.checkpointChanges = new ChangeLog();
            t.index.markIncrement();
            t.trackPendingChanges();
        }
    }

    /** Forgets the changes recorded so far: the next delta starts from here. */
    public static void clearChanges(WideDeepModel m) {
        if (m.wide != null) m.wide.changes.clear();
        for (EmbeddingTable t : m.embeddings) t.changes.clear();
    }

    private interface Body {
        void write(ByteSink out);
    }

    private static byte[] write(Body body) {
        ByteSink out = new ByteSink(1 << 16);
        body.write(out);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        int contentLength = out.position();
        out.putInt((int) crc.getValue());
        out.putLong(contentLength + TRAILER);
        return out.toArray();
    }

    private static void header(ByteSink out, WideDeepModel m, byte kind, int flags) {
        out.putLong(MAGIC);
        out.putInt(FORMAT_VERSION);
        out.putByte(kind);
        out.putByte(flags);
        out.putLong(m.spec.fingerprint());
    }

    private static void body(ByteSink out, WideDeepModel m, boolean opt, boolean delta, boolean dense) {
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
        if (m.gates != null) { // only with wide.field_gates, which the spec (fingerprinted above) says
            for (float g : m.gates.gate) out.putFloat(g);
            if (opt) {
                for (double a : m.gates.accumulator) out.putDouble(a);
            }
        }
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

    private static long[] readPairs(ByteSource in) throws IOException {
        long[] kv = new long[in.readInt() * 2];
        for (int i = 0; i < kv.length; i++) kv[i] = in.readLong();
        return kv;
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
        IntArrayList changed = t.changes.changed();
        LongArrayList removed = new LongArrayList(t.changes.removed());
        int nonZero = 0;
        for (int i = 0; i < changed.size(); i++) {
            int s = changed.getInt(i);
            if (t.w[s] == 0f) removed.add(t.index.key(s)); else nonZero++;
        }
        out.putInt(removed.size());
        for (int i = 0; i < removed.size(); i++) out.putLong(removed.getLong(i));
        out.putInt(nonZero);
        for (int i = 0; i < changed.size(); i++) {
            int s = changed.getInt(i);
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
        IntArrayList changed = c.changed();
        out.putInt(changed.size());
        for (int i = 0; i < changed.size(); i++) {
            int s = changed.getInt(i);
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
        IntArrayList changed = t.changes.changed();
        out.putInt(changed.size());
        for (int i = 0; i < changed.size(); i++) {
            int s = changed.getInt(i);
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

    // ------------------------------------------------------------------ reading

    /** What a payload's header says, checked for integrity. */
    public record Header(int version, boolean full, boolean withOptimizerState, long specFingerprint, boolean withDense) {}

    /** Verifies length, magic, version and checksum; returns the header. */
    public static Header verify(byte[] bytes) throws ModelFormatException {
        if (bytes == null || bytes.length < 8 + 4 + 2 + 8 + TRAILER) {
            throw new ModelFormatException("model payload truncated: " + (bytes == null ? 0 : bytes.length) + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long declared = b.getLong(bytes.length - 8);
        if (declared != bytes.length) {
            throw new ModelFormatException("model payload truncated or padded: trailer says " + declared
                    + " bytes, got " + bytes.length);
        }
        if (b.getLong(0) != MAGIC) {
            throw new ModelFormatException("not a widedeep model (bad magic)");
        }
        int version = b.getInt(8);
        if (version < FIRST_READABLE_VERSION || version > FORMAT_VERSION) {
            throw new ModelFormatException("unsupported model format version " + version);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - TRAILER);
        int stored = b.getInt(bytes.length - TRAILER);
        if ((int) crc.getValue() != stored) {
            throw new ModelFormatException("model payload corrupted: checksum mismatch");
        }
        byte kind = b.get(12);
        if (kind != FULL && kind != DELTA) {
            throw new ModelFormatException("unknown payload kind " + kind);
        }
        byte flags = b.get(13);
        if ((flags & ~(WITH_OPTIMIZER_STATE | NO_DENSE)) != 0 || (flags & NO_DENSE) != 0 && kind != DELTA) {
            throw new ModelFormatException("unknown payload flags " + flags);
        }
        return new Header(version, kind == FULL, (flags & WITH_OPTIMIZER_STATE) != 0, b.getLong(14), (flags & NO_DENSE) == 0);
    }

    /** Reads a full snapshot: a trainable model if it carries optimizer state, else a serving model. */
    public static WideDeepModel decodeFull(byte[] bytes) throws ModelFormatException {
        return decodeFull(bytes, DataType.FLOAT);
    }

    public static WideDeepModel decodeFull(byte[] bytes, DataType dtype) throws ModelFormatException {
        Header h = verify(bytes);
        if (!h.full()) {
            throw new ModelFormatException("expected a full snapshot, got a delta");
        }
        try {
            ByteSource in = body(bytes);
            byte[] specBytes = new byte[in.readInt()];
            in.readFully(specBytes);
            FeatureSpec spec = FeatureSpec.parse(new String(specBytes, StandardCharsets.UTF_8));
            if (spec.fingerprint() != h.specFingerprint()) {
                throw new ModelFormatException("spec fingerprint does not match the embedded spec");
            }
            WideDeepModel m = new WideDeepModel(spec, h.withOptimizerState(), dtype);
            readBody(in, m, h.version(), h.withOptimizerState(), false, true);
            return m;
        } catch (EOFException e) {
            throw new ModelFormatException("model payload ends early", e);
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException("model payload unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * Applies a delta (or a checkpoint increment, which carries optimizer state) to a model in place.
     * Time proportional to the delta's size.
     */
    public static void applyDelta(WideDeepModel m, byte[] bytes) throws ModelFormatException {
        Header h = verify(bytes);
        if (h.full()) {
            throw new ModelFormatException("expected a delta, got a full snapshot");
        }
        if (h.specFingerprint() != m.spec.fingerprint()) {
            throw new ModelFormatException("delta is for another model spec");
        }
        if (h.withOptimizerState() && !m.trainable) {
            throw new ModelFormatException("a checkpoint increment applies to a trainable model only");
        }
        try {
            readBody(body(bytes), m, h.version(), h.withOptimizerState(), true, h.withDense());
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException("delta unreadable: " + e.getMessage(), e);
        }
    }

    private static ByteSource body(byte[] bytes) {
        int headerLen = 8 + 4 + 1 + 1 + 8;
        return new ByteSource(bytes, headerLen, bytes.length - TRAILER);
    }

    private static void readBody(ByteSource in, WideDeepModel m, int version, boolean opt, boolean delta, boolean dense)
            throws IOException {
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
        if (m.gates != null) {
            for (int g = 0; g < m.gates.size(); g++) m.gates.gate[g] = in.readFloat();
            if (opt) {
                for (int g = 0; g < m.gates.size(); g++) m.gates.accumulator[g] = in.readDouble();
            }
        }
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

    // ------------------------------------------------------------------ comparing

    /**
     * SHA-256 over the model's weights in canonical order (sorted keys, zero wide weights omitted),
     * ignoring optimizer state and slot layout: two models score identically iff digests match
     * (up to hash collisions). Used to prove that a reader rebuilt exactly the trainer's model.
     */
    public static String weightsDigest(WideDeepModel m) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(64);
            b.putLong(m.spec.fingerprint()).putLong(m.trainedExamples).putFloat(m.bias).putDouble(m.normalizer.count)
                    .putDouble(m.mixture.logOdds).putDouble(m.baseRate.clicks).putDouble(m.baseRate.examples);
            md.update(b.array(), 0, b.position());
            for (int j = 0; j < m.normalizer.mean.length; j++) {
                b.clear();
                b.putDouble(m.normalizer.mean[j]).putDouble(m.normalizer.m2[j]);
                md.update(b.array(), 0, b.position());
            }
            if (m.gates != null) {
                for (float g : m.gates.gate) {
                    b.clear();
                    md.update(b.putFloat(g).array(), 0, b.position());
                }
            }
            if (m.wide != null) {
                long[] keys = sortedKeys(m.wide.index, s -> m.wide.w[s] != 0f);
                for (long k : keys) {
                    b.clear();
                    b.putLong(k).putFloat(m.wide.weight(k));
                    md.update(b.array(), 0, b.position());
                }
            }
            for (EmbeddingTable t : m.embeddings) {
                long[] keys = sortedKeys(t.index, s -> true);
                for (long k : keys) {
                    int s = t.index.get(k);
                    b.clear();
                    b.putLong(k);
                    md.update(b.array(), 0, b.position());
                    for (int j = 0; j < t.dim; j++) {
                        b.clear();
                        b.putFloat(t.rows[s * t.dim + j]);
                        md.update(b.array(), 0, 4);
                    }
                }
            }
            if (m.mlp != null) {
                var fb = m.mlp.params.castTo(DataType.FLOAT).data().asNioFloat();
                for (int i = 0; i < fb.limit(); i++) {
                    b.clear();
                    b.putFloat(fb.get(i));
                    md.update(b.array(), 0, 4);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long[] sortedKeys(SlotIndex idx, IntPredicate keep) {
        LongArrayList keys = new LongArrayList(idx.size());
        for (int s = 0, hw = idx.highWater(); s < hw; s++) {
            if (idx.occupied(s) && keep.test(s)) keys.add(idx.key(s));
        }
        long[] a = keys.toLongArray();
        Arrays.sort(a);
        return a;
    }
}
