package io.widedeep.flink.functions;

import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.flink.records.ItemShown;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.Consumer;

/**
 * A joiner instance's examples, combined per item until the next flush: the newest impression and
 * the clicks since. Without it every example would cross the shuffle to its item's publisher and
 * cost a state read and write there; with a stream whose examples share few items (Criteo's have
 * none: one item id for all) that was a tenth of the job's throughput. Held on the heap between
 * flushes and in the joiner's operator state at checkpoints, so nothing is lost or counted twice.
 */
final class ItemsShownCombiner {
    private final HashMap<String, ItemShown> pending = new HashMap<>();
    private final long halfLifeMs;

    ItemsShownCombiner(long halfLifeMs) {
        this.halfLifeMs = halfLifeMs;
    }

    /** One example's impression; {@code clickTime} is used when it was clicked. */
    void add(String item, long shownAt, byte[] impression, boolean clicked, long clickTime) {
        merge(item, shownAt, impression, clicked ? 1 : 0,
                clicked ? ServingFeatureRecords.addClick(Double.NEGATIVE_INFINITY, clickTime, halfLifeMs) : Double.NEGATIVE_INFINITY);
    }

    /** Hands every combined item over and starts afresh. */
    void drainTo(Consumer<ItemShown> out) {
        pending.values().forEach(out);
        pending.clear();
    }

    /** What a checkpoint keeps. */
    List<ItemShown> snapshot() {
        return new ArrayList<>(pending.values());
    }

    /** Takes back what a checkpoint kept (combining with anything already pending). */
    void restore(Iterable<ItemShown> kept) {
        for (ItemShown k : kept) merge(k.itemId, k.shownAt, k.impression, k.clicks, k.log2Clicks);
    }

    /** The newest impression wins; clicks and their decayed weight add up. */
    private void merge(String item, long shownAt, byte[] impression, long clicks, double log2Clicks) {
        ItemShown s = pending.get(item);
        if (s == null) {
            pending.put(item, new ItemShown(item, shownAt, impression, clicks, log2Clicks));
            return;
        }
        if (shownAt >= s.shownAt) {
            s.shownAt = shownAt;
            s.impression = impression;
        }
        s.clicks += clicks;
        s.log2Clicks = ServingFeatureRecords.addLog2(s.log2Clicks, log2Clicks);
    }
}
