package io.widedeep.core.features;

import java.nio.ByteBuffer;

/**
 * The most recent distinct ids (hashes), most recent first, at most {@code capacity}: pushing an id
 * already held moves it to the front; pushing a new one drops the oldest when full. One of these
 * holds a user's recent items, another their recent categories ({@link UserHistory}).
 */
final class RecentIds {
    private final long[] ids;
    private int count;

    RecentIds(int capacity) {
        this.ids = new long[capacity];
    }

    void push(long id) {
        if (ids.length == 0) {
            return;
        }
        int pos = count;
        for (int i = 0; i < count; i++) {
            if (ids[i] == id) {
                pos = i;
                break;
            }
        }
        System.arraycopy(ids, 0, ids, 1, Math.min(pos, ids.length - 1));
        ids[0] = id;
        if (pos == count) {
            count = Math.min(count + 1, ids.length);
        }
    }

    int count() { return count; }
    long get(int i) { return ids[i]; }
    int capacity() { return ids.length; }

    /** Bytes {@link #write} takes: the count and the ids. */
    int serializedSize() {
        return 4 + 8 * count;
    }

    void write(ByteBuffer b) {
        b.putInt(count);
        for (int i = 0; i < count; i++) b.putLong(ids[i]);
    }

    /** Fills an empty instance with ids, most recent first; keeps the most recent if it holds fewer. */
    void fill(long[] mostRecentFirst) {
        for (long id : mostRecentFirst) {
            if (count < ids.length) ids[count++] = id;
        }
    }

    /** Reads what {@link #write} wrote into an empty instance; keeps the most recent if it holds fewer. */
    void read(ByteBuffer b) {
        int n = b.getInt();
        for (int i = 0; i < n; i++) {
            long id = b.getLong();
            if (count < ids.length) ids[count++] = id;
        }
    }
}
