package io.widedeep.core.model;

import io.widedeep.core.features.Hashing;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;

/**
 * Sighting counts of keys that wait for an embedding row (the admission threshold), in fixed
 * memory: a count-min sketch (Cormode and Muthukrishnan 2005) with conservative update, whose
 * counters are halved every {@code width} sightings, like TinyLFU's reset (Einbinder et al. 2017), so
 * that old sightings fade and a stream of one-off keys cannot saturate it (with 10 × width, as
 * TinyLFU samples, one-off keys lift every counter past small thresholds). Only keys still waiting
 * are counted, so the horizon is the last {@code width} sightings of not-yet-admitted keys. A key may be admitted a
 * little early when it collides with frequent keys in every row; it is never admitted late.
 */
final class AdmissionSketch {
    static final int DEPTH = 4;
    static final int WIDTH = 1 << 16;

    private final int[] counts = new int[DEPTH * WIDTH];
    private long additions;
    // cells changed since the last checkpoint increment (tracked once increments start)
    private long[] dirtyBits;
    private final IntArrayList dirty = new IntArrayList();
    private boolean allDirty;

    /** Records one sighting and returns the key's estimated count, this one included. */
    int add(long key) {
        int min = Integer.MAX_VALUE;
        for (int d = 0; d < DEPTH; d++) min = Math.min(min, counts[cell(key, d)]);
        int estimate = min + 1;
        for (int d = 0; d < DEPTH; d++) {
            int c = cell(key, d);
            if (counts[c] < estimate) {
                counts[c] = estimate; // conservative update: raise only the minima
                if (dirtyBits != null && (dirtyBits[c >>> 6] & (1L << c)) == 0) {
                    dirtyBits[c >>> 6] |= 1L << c;
                    dirty.add(c);
                }
            }
        }
        if (++additions >= WIDTH) {
            for (int i = 0; i < counts.length; i++) counts[i] >>>= 1;
            additions = 0;
            allDirty = true;
        }
        return estimate;
    }

    int estimate(long key) {
        int min = Integer.MAX_VALUE;
        for (int d = 0; d < DEPTH; d++) min = Math.min(min, counts[cell(key, d)]);
        return min;
    }

    private static int cell(long key, int row) {
        return row * WIDTH + (int) (Hashing.mix(row + 0x9E3779B97F4A7C15L, key) >>> (64 - 16));
    }

    /** Non-zero counters as (cell, count) pairs, and the additions since the last halving as a last pair. */
    long[] cells() {
        int n = 0;
        for (int c : counts) if (c != 0) n++;
        long[] kv = new long[2 * n + 2];
        int i = 0;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] != 0) {
                kv[i++] = c;
                kv[i++] = counts[c];
            }
        }
        kv[i++] = -1;
        kv[i] = additions;
        return kv;
    }

    /** Starts recording which cells change, for {@link #changedCells}. */
    void trackChanges() {
        if (dirtyBits == null) dirtyBits = new long[counts.length >>> 6];
        clearChanges();
    }

    /**
     * What changed since the last call, as (cell, count) pairs ending with the additions pair, or
     * null when a halving changed every cell (then {@link #cells} is the increment).
     */
    long[] changedCells() {
        if (allDirty) {
            clearChanges();
            return null;
        }
        long[] kv = new long[2 * dirty.size() + 2];
        int i = 0;
        for (int k = 0; k < dirty.size(); k++) {
            kv[i++] = dirty.getInt(k);
            kv[i++] = counts[dirty.getInt(k)];
        }
        kv[i++] = -1;
        kv[i] = additions;
        clearChanges();
        return kv;
    }

    private void clearChanges() {
        for (int k = 0; k < dirty.size(); k++) dirtyBits[dirty.getInt(k) >>> 6] = 0;
        dirty.clear();
        allDirty = false;
    }

    /** Sets the given cells (an increment's), leaving the others. */
    void update(long[] kv) {
        for (int i = 0; i + 1 < kv.length; i += 2) {
            if (kv[i] == -1) {
                additions = kv[i + 1];
            } else if (kv[i] >= 0 && kv[i] < counts.length) {
                counts[(int) kv[i]] = (int) kv[i + 1];
            }
        }
    }

    void restore(long[] kv) {
        Arrays.fill(counts, 0);
        additions = 0;
        for (int i = 0; i + 1 < kv.length; i += 2) {
            if (kv[i] == -1) {
                additions = kv[i + 1];
            } else if (kv[i] >= 0 && kv[i] < counts.length) { // pairs of another layout are dropped
                counts[(int) kv[i]] = (int) kv[i + 1];
            }
        }
    }
}
