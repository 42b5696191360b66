package io.widedeep.flink.records;

/**
 * Impressions of one item that became training examples, as the item's serving features see them:
 * the newest one's event time and original bytes (its context and numerics, decoded only when the
 * item's record is written), and the clicks among them: how many, and their forward-decayed weight
 * as a base-2 logarithm ({@code ServingFeatureRecords.addClick}; -Infinity without clicks). One
 * example, or several combined before the shuffle. A Flink POJO.
 */
public final class ItemShown {
    public String itemId;
    public long shownAt;
    public byte[] impression;
    public long clicks;
    public double log2Clicks;

    public ItemShown() {}

    public ItemShown(String itemId, long shownAt, byte[] impression, long clicks, double log2Clicks) {
        this.itemId = itemId;
        this.shownAt = shownAt;
        this.impression = impression;
        this.clicks = clicks;
        this.log2Clicks = log2Clicks;
    }
}
