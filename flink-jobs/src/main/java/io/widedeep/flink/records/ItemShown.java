package io.widedeep.flink.records;

/**
 * An impression that became a training example, as the item's side of serving features sees it:
 * the item, the impression's event time and its original bytes (its context and numerics, decoded
 * only when the item's record is written), and whether it was clicked, when. A Flink POJO.
 */
public final class ItemShown {
    public String itemId;
    public long shownAt;
    public byte[] impression;
    public boolean clicked;
    public long clickTime;

    public ItemShown() {}

    public ItemShown(String itemId, long shownAt, byte[] impression, boolean clicked, long clickTime) {
        this.itemId = itemId;
        this.shownAt = shownAt;
        this.impression = impression;
        this.clicked = clicked;
        this.clickTime = clickTime;
    }
}
