package io.widedeep.core.model;

import io.widedeep.core.optim.FtrlProximal;
import java.util.Arrays;

/**
 * The wide part: one weight per hashed sparse key, in struct-of-arrays columns indexed by slot.
 * A trainable table also holds the FTRL state (z, n) of every coordinate; a serving table holds
 * only the weights. Coordinates are created on first sight and can expire when unused.
 */
final class WideTable {
    final SlotIndex index;
    float[] w;
    double[] z;
    double[] n;
    long[] lastSeen;
    private float[] grad;
    private float[] gradSq; // sum of the per-example squared gradients since the last step
    private TouchedSlots touched; // null unless trainable
    final ChangeLog changes = new ChangeLog();
    /** What changed since the last checkpoint increment; null unless the trainer writes increments. */
    ChangeLog checkpointChanges;
    private final boolean trainable;
    private final boolean trackLastSeen;

    WideTable(boolean trainable, boolean trackLastSeen, int initialCapacity) {
        this.trainable = trainable;
        this.trackLastSeen = trackLastSeen;
        this.index = new SlotIndex(initialCapacity);
        int cap = index.capacity();
        w = new float[cap];
        lastSeen = new long[cap];
        if (trainable) {
            z = new double[cap];
            n = new double[cap];
            grad = new float[cap];
            gradSq = new float[cap];
            touched = new TouchedSlots(cap);
        }
    }

    boolean trainable() {
        return trainable;
    }

    int size() {
        return index.size();
    }

    /** Weight of a key, 0 when absent. */
    float weight(long key) {
        int s = index.get(key);
        return s < 0 ? 0f : w[s];
    }

    /** Slot of a key, created (weight 0) if new. */
    int slotForTraining(long key, long time) {
        int s = index.get(key);
        if (s < 0) {
            s = index.add(key);
            ensureCapacity();
            w[s] = 0f;
            z[s] = 0;
            n[s] = 0;
        }
        if (trackLastSeen && time > lastSeen[s]) {
            lastSeen[s] = time;
        }
        return s;
    }

    void addGrad(int slot, float g) {
        touched.add(slot);
        grad[slot] += g;
        gradSq[slot] += g * g;
    }

    float grad(int slot) {
        return grad[slot];
    }

    /** Applies one FTRL step to every coordinate touched since the last call. */
    void applyFtrl(FtrlProximal ftrl) {
        for (int i = 0, c = touched.size(); i < c; i++) {
            int s = touched.get(i);
            w[s] = (float) ftrl.step(z, n, s, grad[s], gradSq[s]);
            grad[s] = 0f;
            gradSq[s] = 0f;
            ChangeLog.markChanged(s, changes, checkpointChanges);
        }
        touched.clear();
    }

    void discardGrads() {
        for (int i = 0, c = touched.size(); i < c; i++) {
            grad[touched.get(i)] = 0f;
            gradSq[touched.get(i)] = 0f;
        }
        touched.clear();
    }

    /** Drops rows not seen since {@code cutoff}; returns how many. */
    int expire(long cutoff) {
        return index.expire(lastSeen, cutoff, changes, checkpointChanges);
    }

    /** Sets a weight directly (serving side, when applying an update). */
    void put(long key, float weight) {
        int s = index.get(key);
        if (s < 0) {
            s = index.add(key);
            ensureCapacity();
        }
        w[s] = weight;
    }

    void remove(long key) {
        index.removeKey(key);
    }

    /** Becomes a copy of {@code other}'s keys and weights (what a serving snapshot holds), sharing nothing with it. */
    void copyWeightsFrom(WideTable other) {
        index.copyLayoutFrom(other.index);
        w = Arrays.copyOf(other.w, Math.max(1, other.index.highWater())); // not lastSeen: the copy is encoded, never trained
    }

    /** Number of non-zero weights (L1 keeps most of them at exactly zero). */
    int nonZero() {
        int c = 0;
        for (int s = 0, hw = index.highWater(); s < hw; s++) {
            if (index.occupied(s) && w[s] != 0f) {
                c++;
            }
        }
        return c;
    }

    void ensureCapacity() {
        int cap = index.capacity();
        if (w.length < cap) {
            w = Arrays.copyOf(w, cap);
            lastSeen = Arrays.copyOf(lastSeen, cap);
            if (trainable) {
                z = Arrays.copyOf(z, cap);
                n = Arrays.copyOf(n, cap);
                grad = Arrays.copyOf(grad, cap);
                gradSq = Arrays.copyOf(gradSq, cap);
                touched.grow(cap);
            }
        }
    }
}
