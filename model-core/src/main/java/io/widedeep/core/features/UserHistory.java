package io.widedeep.core.features;

import java.nio.ByteBuffer;

/**
 * What we remember of one user: the items and categories clicked most recently (bounded, most
 * recent first, no duplicates) and impression and click counters. It supplies the history fields of
 * a {@code FeatureSpec} ({@code history.*}), so training and serving derive the same features from it.
 * Values are stored as hashes, never as strings, to keep keyed state small.
 */
public final class UserHistory {
    private long[] recentItems;
    private int itemCount;
    private long[] recentCategories;
    private int categoryCount;
    private long impressions;
    private long clicks;
    private long lastEventTime;

    public UserHistory(int maxItems) {
        this.recentItems = new long[maxItems];
        this.recentCategories = new long[maxItems];
    }

    public void recordImpression(long eventTime) {
        impressions++;
        lastEventTime = Math.max(lastEventTime, eventTime);
    }

    /** A click on an item (hash of its id) with the given category hash (0 when none). */
    public void recordClick(long itemHash, long categoryHash, boolean hasCategory, long eventTime) {
        clicks++;
        itemCount = pushFront(recentItems, itemCount, itemHash);
        if (hasCategory) {
            categoryCount = pushFront(recentCategories, categoryCount, categoryHash);
        }
        lastEventTime = Math.max(lastEventTime, eventTime);
    }

    private static int pushFront(long[] ring, int count, long value) {
        if (ring.length == 0) {
            return 0;
        }
        int pos = count;
        for (int i = 0; i < count; i++) {
            if (ring[i] == value) {
                pos = i;
                break;
            }
        }
        int last = Math.min(pos, ring.length - 1);
        System.arraycopy(ring, 0, ring, 1, last);
        ring[0] = value;
        return pos == count ? Math.min(count + 1, ring.length) : count;
    }

    public int itemCount() { return itemCount; }
    public long item(int i) { return recentItems[i]; }
    public int categoryCount() { return categoryCount; }
    public long category(int i) { return recentCategories[i]; }
    public long impressions() { return impressions; }
    public long clicks() { return clicks; }
    public long lastEventTime() { return lastEventTime; }

    /** The CTR a user without history is assumed to have. */
    public static final double PRIOR_CTR = 0.05;

    public double ctr() {
        // Smoothed so that a new user is not scored as if its CTR were 0 or 1.
        return (clicks + PRIOR_CTR) / (impressions + 1.0);
    }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 * itemCount + 4 + 8 * categoryCount + 24);
        b.putInt(recentItems.length);
        b.putInt(itemCount);
        for (int i = 0; i < itemCount; i++) b.putLong(recentItems[i]);
        b.putInt(categoryCount);
        for (int i = 0; i < categoryCount; i++) b.putLong(recentCategories[i]);
        b.putLong(impressions).putLong(clicks).putLong(lastEventTime);
        return b.array();
    }

    /** Restores a history; if the spec's bound changed since it was written, keeps the most recent. */
    public static UserHistory fromBytes(byte[] bytes, int maxItems) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.getInt();
        UserHistory h = new UserHistory(maxItems);
        int n = b.getInt();
        for (int i = 0; i < n; i++) {
            long v = b.getLong();
            if (i < maxItems) h.recentItems[h.itemCount++] = v;
        }
        int m = b.getInt();
        for (int i = 0; i < m; i++) {
            long v = b.getLong();
            if (i < maxItems) h.recentCategories[h.categoryCount++] = v;
        }
        h.impressions = b.getLong();
        h.clicks = b.getLong();
        h.lastEventTime = b.getLong();
        return h;
    }
}
