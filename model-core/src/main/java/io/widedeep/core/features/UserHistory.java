package io.widedeep.core.features;

import java.nio.ByteBuffer;

/**
 * What we remember of one user: the items and categories clicked most recently (bounded, most
 * recent first, no duplicates) and impression and click counters. It supplies the history fields of
 * a {@code FeatureSpec} ({@code history.*}), so training and serving derive the same features from it.
 * Values are stored as hashes, never as strings, to keep keyed state small.
 */
public final class UserHistory {
    private final RecentIds items;
    private final RecentIds categories;
    private long impressions;
    private long clicks;
    private long lastEventTime;

    public UserHistory(int maxItems) {
        this.items = new RecentIds(maxItems);
        this.categories = new RecentIds(maxItems);
    }

    public void recordImpression(long eventTime) {
        impressions++;
        lastEventTime = Math.max(lastEventTime, eventTime);
    }

    /** A click on an item (hash of its id) with the given category hash (0 when none). */
    public void recordClick(long itemHash, long categoryHash, boolean hasCategory, long eventTime) {
        clicks++;
        items.push(itemHash);
        if (hasCategory) {
            categories.push(categoryHash);
        }
        lastEventTime = Math.max(lastEventTime, eventTime);
    }

    public int itemCount() { return items.count(); }
    public long item(int i) { return items.get(i); }
    public int categoryCount() { return categories.count(); }
    public long category(int i) { return categories.get(i); }
    public long impressions() { return impressions; }
    public long clicks() { return clicks; }
    public long lastEventTime() { return lastEventTime; }

    /** Events recorded (impressions and clicks): grows with every change, so it orders a user's states. */
    public long sequence() { return impressions + clicks; }

    /** A history from its parts (most recent first), as {@code ServingFeatureRecords} reads it back. */
    public static UserHistory of(int maxItems, long[] recentItems, long[] recentCategories, long impressions,
                                 long clicks, long lastEventTime) {
        UserHistory h = new UserHistory(maxItems);
        h.items.fill(recentItems);
        h.categories.fill(recentCategories);
        h.impressions = impressions;
        h.clicks = clicks;
        h.lastEventTime = lastEventTime;
        return h;
    }

    /** The CTR a user without history is assumed to have. */
    public static final double PRIOR_CTR = 0.05;

    public double ctr() {
        // Smoothed so that a new user is not scored as if its CTR were 0 or 1.
        return (clicks + PRIOR_CTR) / (impressions + 1.0);
    }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(4 + items.serializedSize() + categories.serializedSize() + 24);
        b.putInt(items.capacity());
        items.write(b);
        categories.write(b);
        b.putLong(impressions).putLong(clicks).putLong(lastEventTime);
        return b.array();
    }

    /** Restores a history; if the spec's bound changed since it was written, keeps the most recent. */
    public static UserHistory fromBytes(byte[] bytes, int maxItems) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.getInt(); // the bound it was written with
        UserHistory h = new UserHistory(maxItems);
        h.items.read(b);
        h.categories.read(b);
        h.impressions = b.getLong();
        h.clicks = b.getLong();
        h.lastEventTime = b.getLong();
        return h;
    }
}
