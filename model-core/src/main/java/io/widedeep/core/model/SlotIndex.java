package io.widedeep.core.model;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;

/**
 * Maps 64-bit feature keys to dense slot numbers, the row index into a table's primitive columns.
 * Freed slots are reused in LIFO order. The exact slot layout is part of a snapshot, so a restored
 * table assigns future slots exactly as the original would (bit-identical snapshots after restore).
 */
final class SlotIndex {
    private final LongIntHashTable map;
    private long[] keys;
    private int highWater;
    private final IntArrayList free = new IntArrayList();
    private int freeLowWater; // the free list's smallest size since the last checkpoint increment
    /**
     * One bit per occupied slot, beside the map: a full snapshot, an expiry sweep and the wide table's
     * count of non-zero weights visit every slot, and a hash lookup per slot (a cache miss each, in
     * tables far larger than the caches) was most of their time.
     */
    private long[] occupiedBits = new long[1];
    private boolean layoutOnly; // a copy for encoding (copyLayoutFrom): no map, no lookups

    SlotIndex(int initialCapacity) {
        map = new LongIntHashTable(initialCapacity);
        keys = new long[Math.max(16, initialCapacity)];
    }

    int get(long key) {
        return map.get(key);
    }

    /** Slot of a key that is not yet present. Columns must then be grown to {@link #capacity()}. */
    int add(long key) {
        int slot;
        if (!free.isEmpty()) {
            slot = free.popInt();
            if (free.size() < freeLowWater) freeLowWater = free.size();
        } else {
            slot = highWater++;
            if (slot == keys.length) {
                keys = Arrays.copyOf(keys, keys.length * 2);
            }
        }
        keys[slot] = key;
        map.put(key, slot);
        setOccupied(slot, true);
        return slot;
    }

    void remove(int slot) {
        map.remove(keys[slot]);
        setOccupied(slot, false);
        free.add(slot);
    }

    private void setOccupied(int slot, boolean occupied) {
        int word = slot >>> 6;
        if (word >= occupiedBits.length) occupiedBits = Arrays.copyOf(occupiedBits, Math.max(word + 1, occupiedBits.length * 2));
        if (occupied) occupiedBits[word] |= 1L << slot; else occupiedBits[word] &= ~(1L << slot);
    }

    /** Removes the slot of a key, if present. */
    void removeKey(long key) {
        int s = get(key);
        if (s >= 0) {
            remove(s);
        }
    }

    /** Removes every slot not seen since {@code cutoff}, recording each removal in both logs (the second may be null); returns how many. */
    int expire(long[] lastSeen, long cutoff, ChangeLog changes, ChangeLog checkpointChanges) {
        int removed = 0;
        for (int s = 0; s < highWater; s++) {
            if (occupied(s) && lastSeen[s] < cutoff) {
                changes.markRemoved(s, keys[s]);
                if (checkpointChanges != null) checkpointChanges.markRemoved(s, keys[s]);
                remove(s);
                removed++;
            }
        }
        return removed;
    }

    long key(int slot) {
        return keys[slot];
    }

    boolean occupied(int slot) {
        return slot < highWater && (occupiedBits[slot >>> 6] & (1L << slot)) != 0;
    }

    int size() {
        return layoutOnly ? highWater - free.size() : map.size();
    }

    int highWater() {
        return highWater;
    }

    /**
     * Becomes a copy of {@code other}'s slot layout (keys, occupied slots, free list) for encoding
     * only: the hash table, the largest part of an index, is not copied, so this copy cannot look keys up.
     */
    void copyLayoutFrom(SlotIndex other) {
        highWater = other.highWater;
        keys = Arrays.copyOf(other.keys, Math.max(1, highWater));
        occupiedBits = Arrays.copyOf(other.occupiedBits, (highWater >>> 6) + 1);
        free.clear();
        free.addAll(other.free);
        freeLowWater = other.freeLowWater;
        layoutOnly = true;
    }

    int capacity() {
        return keys.length;
    }

    IntArrayList freeSlots() {
        return free;
    }

    /** Puts a key at a given slot (applying a checkpoint increment); the slot must be free. */
    void place(int slot, long key) {
        if (slot >= keys.length) {
            keys = Arrays.copyOf(keys, Math.max(slot + 1, keys.length * 2));
        }
        if (slot >= highWater) highWater = slot + 1;
        keys[slot] = key;
        map.put(key, slot);
        setOccupied(slot, true);
    }

    /**
     * The free list is a stack: since the last increment it lost entries down to its low-water mark
     * and gained the ones above it. An increment stores that mark and what lies above it.
     */
    int freeLowWater() {
        return Math.min(freeLowWater, free.size());
    }

    /** The next increment starts from the free list as it is now. */
    void markIncrement() {
        freeLowWater = free.size();
    }

    /**
     * Sets the high-water mark and the free list exactly (after an increment's removals and
     * placements): the list as it was up to {@code lowWater}, then {@code above}.
     */
    void setLayout(int highWater, int lowWater, int[] above) {
        if (highWater > keys.length) keys = Arrays.copyOf(keys, Math.max(highWater, keys.length * 2));
        this.highWater = highWater;
        free.size(lowWater);
        free.addElements(lowWater, above);
        freeLowWater = free.size();
    }

    /** Rebuilds the exact layout of a saved index. */
    void restore(int highWater, long[] slotKeys, boolean[] occupied, int[] freeOrder) {
        this.highWater = highWater;
        this.keys = Arrays.copyOf(slotKeys, Math.max(16, Integer.highestOneBit(Math.max(1, highWater)) * 2));
        map.clear();
        occupiedBits = new long[(highWater >>> 6) + 1];
        for (int s = 0; s < highWater; s++) {
            if (occupied[s]) {
                map.put(slotKeys[s], s);
                setOccupied(s, true);
            }
        }
        free.clear();
        free.addElements(0, freeOrder);
        freeLowWater = free.size();
    }
}
