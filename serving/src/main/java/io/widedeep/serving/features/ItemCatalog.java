package io.widedeep.serving.features;

import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.schemas.ItemFeatures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The items the training job publishes ({@code ItemFeatures}): each item's attributes as shown in
 * its newest example, resolved once for the served spec, and its popularity. Written by the feature
 * feed's thread; read by request threads. An item's {@link Item} is replaced, never mutated, so a
 * request never sees one half-updated.
 *
 * <p>Popularity is the job's forward-decayed click weight, kept as a base-2 logarithm with landmark 0
 * (see {@code ServingFeatureRecords.addClick}): the order of two items by it is the order of their
 * decayed popularity at any later time, so the top {@code popular.size} is kept incrementally, an
 * item moving up when its record says it gained clicks. (A record lower than the one held, from a
 * job replaying its input after a restore, rebuilds the top in one pass.)
 *
 * <p>Bounded: an item whose record has expired (the job forgot it) goes at the next {@link #sweep},
 * and beyond {@code items.max} the tenth shown least recently goes.
 */
public final class ItemCatalog {
    /** An item's context and numerics as shown, and the same resolved for one spec (null until a model is known). */
    public record Item(Map<String, String> context, Map<String, Double> numeric, FeatureExtractor.FieldValues values) {}

    /** Feed-thread state of one item; request threads read only {@link #shown}. */
    private static final class ItemState {
        final String id;
        volatile Item shown;
        long shownAt;
        long expiresAt;
        double popularity = Double.NEGATIVE_INFINITY;
        int rank = -1; // position in top, or -1

        ItemState(String id) {
            this.id = id;
        }
    }

    private final ConcurrentHashMap<String, ItemState> items = new ConcurrentHashMap<>();
    private final int maxItems;
    private final ItemState[] top;
    private int topSize;
    private boolean topChanged;
    private boolean topStale;
    private volatile List<String> popular = List.of();
    private FeatureExtractor extractor;
    private long evicted;

    public ItemCatalog(int maxItems, int popularSize) {
        this.maxItems = maxItems;
        this.top = new ItemState[popularSize];
    }

    /** Resolves every item's attributes for this spec (the first model, or one of a new spec). */
    public void useExtractor(FeatureExtractor fx) {
        extractor = fx;
        for (ItemState s : items.values()) {
            Item i = s.shown;
            s.shown = new Item(i.context(), i.numeric(), fx.resolve(i.context(), i.numeric(), fx.newValues()));
        }
    }

    /** The fingerprint of the spec items are resolved for, 0 before any. */
    public long resolvedFor() {
        FeatureExtractor fx = extractor;
        return fx == null ? 0 : fx.spec().fingerprint();
    }

    /** Feed thread: an item's record, unless it has already expired at {@code now}. */
    public void accept(ItemFeatures f, long expiresAt, long now) {
        if (expiresAt <= now) return;
        ItemState s = items.computeIfAbsent(f.getItemId(), ItemState::new);
        Item held = s.shown;
        if (held == null || f.getShownAt() >= s.shownAt) {
            // most records of an item carry the attributes it already has: only its popularity moved
            if (held == null || !held.context().equals(f.getContext()) || !held.numeric().equals(f.getNumeric())) {
                Map<String, String> c = Map.copyOf(f.getContext());
                Map<String, Double> x = Map.copyOf(f.getNumeric());
                FeatureExtractor fx = extractor;
                s.shown = new Item(c, x, fx == null ? null : fx.resolve(c, x, fx.newValues()));
            }
            s.shownAt = f.getShownAt();
        }
        s.expiresAt = Math.max(s.expiresAt, expiresAt);
        double p = f.getLog2Popularity();
        if (p > s.popularity) {
            s.popularity = p;
            climb(s);
        } else if (p < s.popularity) {
            s.popularity = p;
            if (s.rank >= 0) topStale = true;
        }
        if (items.size() > maxItems) evictLeastRecentlyShown();
    }

    /** Moves an item whose popularity just grew to its place in the top, entering it if it now belongs. */
    private void climb(ItemState item) {
        int i = item.rank;
        if (i < 0) {
            if (topSize < top.length) {
                i = topSize++;
            } else if (top.length > 0 && item.popularity > top[top.length - 1].popularity) {
                i = top.length - 1;
                top[i].rank = -1;
            } else {
                return;
            }
            top[i] = item;
            item.rank = i;
        }
        while (i > 0 && top[i - 1].popularity < item.popularity) {
            top[i] = top[i - 1];
            top[i].rank = i;
            i--;
        }
        top[i] = item;
        item.rank = i;
        topChanged = true;
    }

    /** Feed thread, now and then: removes items whose records expired by {@code now}. */
    public void sweep(long now) {
        int before = items.size();
        items.values().removeIf(s -> s.expiresAt <= now);
        afterEviction(before - items.size());
    }

    /** Over the cap: drops the least recently shown, at least a tenth, so this runs rarely. */
    private void evictLeastRecentlyShown() {
        int before = items.size();
        List<ItemState> all = new ArrayList<>(items.values());
        all.sort(Comparator.comparingLong(s -> s.shownAt));
        int drop = Math.max(all.size() - maxItems, all.size() / 10);
        for (int i = 0; i < drop; i++) items.remove(all.get(i).id);
        afterEviction(before - items.size());
    }

    private void afterEviction(int removed) {
        evicted += removed;
        for (int i = 0; i < topSize && !topStale; i++) topStale = items.get(top[i].id) != top[i];
    }

    /** The best items, found by one pass: after evictions or a popularity that went down. */
    private void rebuildTop() {
        for (int i = 0; i < topSize; i++) top[i].rank = -1;
        Arrays.fill(top, 0, topSize, null);
        topSize = 0;
        for (ItemState s : items.values()) {
            if (s.popularity > Double.NEGATIVE_INFINITY) climb(s);
        }
        topChanged = true;
        topStale = false;
    }

    /** Feed thread, now and then: publishes the popular list to request threads if it changed. */
    public void publishPopular() {
        if (topStale) rebuildTop();
        if (!topChanged) return;
        List<String> ids = new ArrayList<>(topSize);
        for (int i = 0; i < topSize; i++) ids.add(top[i].id);
        popular = List.copyOf(ids);
        topChanged = false;
    }

    public Item item(String id) {
        ItemState s = items.get(id);
        return s == null ? null : s.shown;
    }

    /** The most popular items, best first, as of the last {@link #publishPopular}. */
    public List<String> popular() {
        return popular;
    }

    public int items() {
        return items.size();
    }

    /** Items removed so far, by expiry or by size. */
    public long evicted() {
        return evicted;
    }
}
