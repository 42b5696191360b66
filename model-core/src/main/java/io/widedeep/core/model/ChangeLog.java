package io.widedeep.core.model;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import java.util.Arrays;

/** Which slots of a sparse table changed, and which keys left it, since the last published delta. */
final class ChangeLog {
    private long[] flagged = new long[64]; // one bit per slot: small enough to stay in cache
    private final IntArrayList changed = new IntArrayList(); // every slot flagged since clear(), to unflag them then
    private int count; // slots flagged now
    private final LongArrayList removed = new LongArrayList();

    void markChanged(int slot) {
        int word = slot >>> 6;
        if (word >= flagged.length) {
            flagged = Arrays.copyOf(flagged, Math.max(word + 1, flagged.length * 2));
        }
        long bit = 1L << slot;
        if ((flagged[word] & bit) == 0) {
            flagged[word] |= bit;
            changed.add(slot);
            count++;
        }
    }

    /** Marks a slot changed for the next delta and, when increments are recorded, the next checkpoint increment. */
    static void markChanged(int slot, ChangeLog delta, ChangeLog increment) {
        delta.markChanged(slot);
        if (increment != null) increment.markChanged(slot);
    }

    void markRemoved(int slot, long key) {
        int word = slot >>> 6;
        long bit = 1L << slot;
        if (word < flagged.length && (flagged[word] & bit) != 0) {
            flagged[word] &= ~bit; // its entry in the list stays until clear(): removing it would be linear
            count--;
        }
        removed.add(key);
    }

    /**
     * The changed slots in increasing order: an encoder that reads a table's arrays front to back
     * instead of in the order the slots were touched lets the prefetcher hide the cache misses.
     */
    int[] changedInSlotOrder() {
        int[] out = new int[count];
        int n = 0;
        for (int w = 0; w < flagged.length && n < out.length; w++) {
            for (long bits = flagged[w]; bits != 0; bits &= bits - 1) {
                out[n++] = (w << 6) + Long.numberOfTrailingZeros(bits);
            }
        }
        return out;
    }

    LongArrayList removed() {
        return removed;
    }

    void clear() {
        for (int i = 0, n = changed.size(); i < n; i++) {
            int slot = changed.getInt(i);
            flagged[slot >>> 6] &= ~(1L << slot);
        }
        changed.clear();
        count = 0;
        removed.clear();
    }
}
