package io.widedeep.core.model;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;

/**
 * The slots of a sparse table that a step's gradients touched, each listed once in the order first
 * touched: the optimizer then visits only those, and clearing costs what was touched.
 */
final class TouchedSlots {
    private long[] bits; // one bit per slot
    private final IntArrayList slots = new IntArrayList();

    TouchedSlots(int capacity) {
        bits = new long[(capacity >>> 6) + 1];
    }

    /** Lists the slot unless it is listed already. */
    void add(int slot) {
        long bit = 1L << slot;
        if ((bits[slot >>> 6] & bit) == 0) {
            bits[slot >>> 6] |= bit;
            slots.add(slot);
        }
    }

    int size() {
        return slots.size();
    }

    int get(int i) {
        return slots.getInt(i);
    }

    /** Forgets every slot listed. */
    void clear() {
        for (int i = 0, c = slots.size(); i < c; i++) {
            int s = slots.getInt(i);
            bits[s >>> 6] &= ~(1L << s);
        }
        slots.clear();
    }

    /** Makes room for slots below {@code capacity} (the table grew). */
    void grow(int capacity) {
        int words = (capacity >>> 6) + 1;
        if (bits.length < words) bits = Arrays.copyOf(bits, words);
    }
}
