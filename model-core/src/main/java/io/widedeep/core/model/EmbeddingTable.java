package io.widedeep.core.model;

import io.widedeep.core.features.Hashing;
import io.widedeep.core.optim.SparseRowOptimizer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Embedding rows of one categorical field, created on first sight (or after {@code minCount}
 * sightings, the admission threshold) and expirable when unused. Rows live in one float array
 * ({@code slot * dim}); a trainable table also holds the optimizer state of every row.
 * A new row is initialised from a generator seeded by (model seed, key), so its value does not
 * depend on the order in which keys arrive.
 */
final class EmbeddingTable {
    final int dim;
    final SlotIndex index;
    float[] rows;
    float[] state;
    long[] lastSeen;
    private float[] grad;
    private TouchedSlots touched; // null unless trainable
    final ChangeLog changes = new ChangeLog();
    /** What changed since the last checkpoint increment; null unless the trainer writes increments. */
    ChangeLog checkpointChanges;
    private final SparseRowOptimizer optimizer;
    private final int stateWidth;
    private final long seed;
    private final int minCount;
    private final AdmissionSketch pending;
    /**
     * Standard deviation of a new row, as in the PyTorch peer (N(0, 0.01)): rows start near zero, so
     * a category seen once adds almost nothing to the MLP's input. With N(0, 1/dim) (0.25 at dim 16)
     * every rare category fed the MLP noise it then had to unlearn: 0.0005 worse PV log loss on the
     * Criteo-shaped stream.
     */
    static final float INIT_STD = 0.01f;
    private final float initScale;
    private final boolean trackLastSeen;

    EmbeddingTable(int dim, SparseRowOptimizer optimizer, long seed, int minCount, boolean trackLastSeen,
                   int initialCapacity) {
        this.trackLastSeen = trackLastSeen;
        this.dim = dim;
        this.optimizer = optimizer;
        this.stateWidth = optimizer == null ? 0 : optimizer.stateWidth();
        this.seed = seed;
        this.minCount = minCount;
        this.pending = minCount > 1 ? new AdmissionSketch() : null;
        this.initScale = INIT_STD;
        this.index = new SlotIndex(initialCapacity);
        int cap = index.capacity();
        rows = new float[cap * dim];
        lastSeen = new long[cap];
        if (optimizer != null) {
            state = new float[cap * dim * stateWidth];
            grad = new float[cap * dim];
            touched = new TouchedSlots(cap);
        }
    }

    boolean trainable() {
        return optimizer != null;
    }

    int size() {
        return index.size();
    }

    int stateWidth() {
        return stateWidth;
    }

    /** Slot of a key for training: created if new and admitted, -1 while below the admission count. */
    int slotForTraining(long key, long time) {
        int s = index.get(key);
        if (s < 0) {
            if (pending != null) {
                if (pending.add(key) < minCount) {
                    return -1;
                }
            }
            s = index.add(key);
            ensureCapacity();
            initRow(s, key);
        }
        if (trackLastSeen && time > lastSeen[s]) {
            lastSeen[s] = time;
        }
        return s;
    }

    private void initRow(int s, long key) {
        SplittableRandom rnd = new SplittableRandom(Hashing.mix(seed, key));
        int off = s * dim;
        for (int j = 0; j < dim; j++) {
            rows[off + j] = (float) (rnd.nextGaussian() * initScale);
        }
        int so = s * dim * stateWidth;
        for (int j = 0; j < dim * stateWidth; j++) {
            state[so + j] = optimizer.initialState(j % stateWidth);
        }
        ChangeLog.markChanged(s, changes, checkpointChanges);
    }

    /** Adds {@code scale * g[gOff .. gOff+dim)} to the gradient of a row. */
    void addGrad(int slot, float[] g, int gOff, float scale) {
        touched.add(slot);
        int off = slot * dim;
        for (int j = 0; j < dim; j++) {
            grad[off + j] += scale * g[gOff + j];
        }
    }

    float grad(int slot, int j) {
        return grad[slot * dim + j];
    }

    void applyUpdates(long step) {
        for (int i = 0, c = touched.size(); i < c; i++) {
            int s = touched.get(i);
            optimizer.stepRow(rows, s * dim, state, s * dim * stateWidth, grad, s * dim, dim, step);
            Arrays.fill(grad, s * dim, s * dim + dim, 0f);
            ChangeLog.markChanged(s, changes, checkpointChanges);
        }
        touched.clear();
    }

    void discardGrads() {
        for (int i = 0, c = touched.size(); i < c; i++) {
            int s = touched.get(i);
            Arrays.fill(grad, s * dim, s * dim + dim, 0f);
        }
        touched.clear();
    }

    /** Drops rows not seen since {@code cutoff}; returns how many. */
    int expire(long cutoff) {
        return index.expire(lastSeen, cutoff, changes, checkpointChanges);
    }

    /** Becomes a copy of {@code other}'s keys and rows (what a serving snapshot holds), sharing nothing with it. */
    void copyRowsFrom(EmbeddingTable other) {
        index.copyLayoutFrom(other.index);
        rows = Arrays.copyOf(other.rows, Math.max(1, other.index.highWater()) * dim); // not lastSeen: encoded, never trained
    }

    /** Sets a row directly (serving side). */
    void put(long key, float[] src, int srcOff) {
        int s = index.get(key);
        if (s < 0) {
            s = index.add(key);
            ensureCapacity();
        }
        System.arraycopy(src, srcOff, rows, s * dim, dim);
    }

    void remove(long key) {
        index.removeKey(key);
    }

    /** The admission sketch's counters as (cell, count) pairs, empty without an admission threshold. */
    long[] pendingCounts() {
        return pending == null ? new long[0] : pending.cells();
    }

    /** Starts recording which admission counters change (checkpoint increments). */
    void trackPendingChanges() {
        if (pending != null) pending.trackChanges();
    }

    /** The admission counters changed since the last call; null when all changed (write {@link #pendingCounts}). */
    long[] changedPending() {
        return pending == null ? new long[0] : pending.changedCells();
    }

    void updatePending(long[] kv) {
        if (pending != null) {
            pending.update(kv);
        }
    }

    void restorePending(long[] kv) {
        if (pending != null) {
            pending.restore(kv);
        }
    }

    void ensureCapacity() {
        int cap = index.capacity();
        if (lastSeen.length < cap) {
            rows = Arrays.copyOf(rows, cap * dim);
            lastSeen = Arrays.copyOf(lastSeen, cap);
            if (optimizer != null) {
                state = Arrays.copyOf(state, cap * dim * stateWidth);
                grad = Arrays.copyOf(grad, cap * dim);
                touched.grow(cap);
            }
        }
    }
}
