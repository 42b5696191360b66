package io.widedeep.core.model;

import io.widedeep.core.spec.FeatureSpec;
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

/**
 * The binary format of models: full snapshots (optionally with optimizer state, for checkpoints
 * and exact resumption) and deltas (weights that changed since the previous publish, for serving).
 *
 * <pre>
 * magic "WDMODEL1" | format version | kind (FULL/DELTA) | flags | spec fingerprint
 * [FULL: spec JSON] | counters | bias | numeric normaliser | wide | [field gates] | [FM gate] | embeddings | MLP
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
        return write(ModelBodyWriter.fullSizeHint(m, withOptimizerState), out -> {
            header(out, m, FULL, withOptimizerState ? WITH_OPTIMIZER_STATE : 0);
            byte[] spec = m.spec.json().getBytes(StandardCharsets.UTF_8);
            out.putInt(spec.length);
            out.putBytes(spec);
            ModelBodyWriter.body(out, m, withOptimizerState, false, true);
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
        return write(1 << 16, out -> {
            header(out, m, DELTA, withDense ? 0 : NO_DENSE);
            ModelBodyWriter.body(out, m, false, true, withDense);
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
        byte[] bytes = write(1 << 16, out -> {
            header(out, m, DELTA, WITH_OPTIMIZER_STATE);
            ModelBodyWriter.body(out, m, true, true, true);
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

    /** {@code sizeHint}: the bytes expected, so that a snapshot of tens of megabytes is not grown by doubling. */
    private static byte[] write(int sizeHint, Body body) {
        ByteSink out = new ByteSink(sizeHint);
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
                throw new ModelFormatException("spec fingerprint " + Long.toHexString(h.specFingerprint())
                        + " does not match the embedded spec's " + Long.toHexString(spec.fingerprint())
                        + " under this version's defaults (revision " + FeatureSpec.DEFAULTS_REVISION
                        + "): written by another widedeep version or damaged");
            }
            WideDeepModel m = new WideDeepModel(spec, h.withOptimizerState(), dtype);
            ModelBodyReader.readBody(in, m, h.version(), h.withOptimizerState(), false, true);
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
            ModelBodyReader.readBody(body(bytes), m, h.version(), h.withOptimizerState(), true, h.withDense());
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException("delta unreadable: " + e.getMessage(), e);
        }
    }

    private static ByteSource body(byte[] bytes) {
        int headerLen = 8 + 4 + 1 + 1 + 8;
        return new ByteSource(bytes, headerLen, bytes.length - TRAILER);
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
            for (FieldGates gates : new FieldGates[] {m.gates, m.interactionGate}) {
                if (gates == null) continue;
                for (float g : gates.gate) {
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