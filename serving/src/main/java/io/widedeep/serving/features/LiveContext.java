package io.widedeep.serving.features;

import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.UserHistory;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * What serving knows about users and items, learned from the clicks topic with the same model-core
 * code the trainer uses ({@link FeatureExtractor#updateHistory}, {@link FeatureExtractor#recordClick}):
 * each user's history, each item's attributes as last shown, and item popularity. Written by one feed
 * thread; read by request threads. Histories and item attributes are replaced, never mutated in place,
 * so a request never sees one half-updated.
 *
 * <p>Bounded: users and items unseen for their time-to-live (in event time) are swept out every
 * {@link #sweep}, and beyond {@code history.max.users} / {@code items.max} the least recently seen
 * tenth goes.
 *
 * <p>Popularity is clicks with exponential decay of half-life {@code popularity.half.life.ms}, kept
 * with <em>forward decay</em> (Cormode, Shkapenyuk, Srivastava and Xu, "Forward Decay: A Practical
 * Time Decay Model for Streaming Systems", ICDE 2009): a click at time t adds
 * 2<sup>(t - L)/halfLife</sup> for a fixed landmark L, so an item's score only grows and the order of
 * any two items is the order of their decayed popularity at every later time. The top
 * {@code popular.size} items are therefore kept exactly and incrementally: a click can only move its
 * own item up. (The landmark moves forward, rescaling every score by the same factor, before the
 * weights leave double range.)
 */
public final class LiveContext {
    /** An item's context and numerics as carried by its latest impression, and the same resolved for the spec's fields. */
    public record Item(Map<String, String> context, Map<String, Double> numeric, FeatureExtractor.FieldValues values) {}

    /** How much the context keeps. Times are event times. */
    public record Limits(long halfLifeMs, int maxUsers, long userTtlMs, int maxItems, long itemTtlMs, int popularSize) {}

    /** Feed-thread state of one item; request threads read only {@link #shown}. */
    private static final class ItemState {
        final String id;
        volatile Item shown;
        long lastSeen;
        double popularity;
        int rank = -1; // position in top, or -1

        ItemState(String id) {
            this.id = id;
        }
    }

    /** The landmark moves before 2^exponent could leave a double's range (exponents up to 1023). */
    private static final double MAX_EXPONENT = 512;

    private final ConcurrentHashMap<String, UserHistory> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ItemState> items = new ConcurrentHashMap<>();
    private final Limits limits;
    private final ItemState[] top;
    private int topSize;
    private boolean topChanged;
    private long landmark = Long.MIN_VALUE;
    private volatile List<String> popular = List.of();
    private volatile FeatureExtractor extractor;
    private long latestTime;
    private long evicted;

    public LiveContext(Limits limits) {
        this.limits = limits;
        this.top = new ItemState[limits.popularSize()];
    }

    /** Histories follow the spec of the model being served (bound, category key). */
    public void useExtractor(FeatureExtractor fx) {
        this.extractor = fx;
    }

    public boolean ready() {
        return extractor != null;
    }

    /** Feed thread: one event from the clicks topic. */
    public void accept(ClickEvent e) {
        FeatureExtractor fx = extractor;
        if (fx == null) return;
        long t = e.getEventTime();
        latestTime = Math.max(latestTime, t);
        boolean impression = e.getEventType() == EventType.IMPRESSION;
        boolean clicked = e.getLabel() != null && e.getLabel() == 1;
        ItemState item = items.computeIfAbsent(e.getItemId(), ItemState::new);
        item.lastSeen = Math.max(item.lastSeen, t);
        if (impression) {
            Map<String, String> c = Map.copyOf(e.getContext());
            Map<String, Double> x = Map.copyOf(e.getNumeric());
            item.shown = new Item(c, x, fx.resolve(c, x, fx.newValues()));
        }
        users.compute(e.getUserId(), (k, old) -> {
            int max = fx.spec().historyMaxItems();
            UserHistory h = old == null ? new UserHistory(max) : UserHistory.fromBytes(old.toBytes(), max);
            if (impression) {
                fx.updateHistory(h, e, clicked);
            } else {
                Item shown = item.shown;
                ClickEvent asShown = shown == null ? e : ClickEvent.newBuilder(e).setContext(shown.context()).build();
                fx.recordClick(h, asShown, t);
            }
            return h;
        });
        if (!impression || clicked) addClick(item, t);
        if (users.size() > limits.maxUsers()) evictOldest(users, limits.maxUsers(), UserHistory::lastEventTime);
        if (items.size() > limits.maxItems()) evictOldest(items, limits.maxItems(), s -> s.lastSeen);
    }

    private void addClick(ItemState item, long t) {
        if (landmark == Long.MIN_VALUE) landmark = t;
        double exponent = (t - landmark) / (double) limits.halfLifeMs();
        if (exponent > MAX_EXPONENT) {
            double scale = Math.pow(2, -exponent);
            for (ItemState s : items.values()) s.popularity *= scale;
            landmark = t;
            exponent = 0;
        }
        item.popularity += Math.pow(2, exponent);
        climb(item);
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

    /** Feed thread, now and then: removes users and items unseen for their time-to-live. */
    public void sweep() {
        if (latestTime == 0) return;
        long userCutoff = latestTime - limits.userTtlMs();
        long itemCutoff = latestTime - limits.itemTtlMs();
        int before = users.size() + items.size();
        users.values().removeIf(h -> h.lastEventTime() < userCutoff);
        items.values().removeIf(s -> s.lastSeen < itemCutoff);
        afterEviction(before - users.size() - items.size());
    }

    /** Over the cap: drops the least recently seen, at least a tenth, so this runs rarely. */
    private <V> void evictOldest(ConcurrentHashMap<String, V> map, int max, ToLongFunction<V> lastSeen) {
        int before = users.size() + items.size();
        List<Map.Entry<String, V>> all = new ArrayList<>(map.entrySet());
        all.sort(Comparator.comparingLong(en -> lastSeen.applyAsLong(en.getValue())));
        int drop = Math.max(all.size() - max, all.size() / 10);
        for (int i = 0; i < drop; i++) map.remove(all.get(i).getKey());
        afterEviction(before - users.size() - items.size());
    }

    private void afterEviction(int removed) {
        evicted += removed;
        boolean lostTop = false;
        for (int i = 0; i < topSize && !lostTop; i++) lostTop = items.get(top[i].id) != top[i];
        if (lostTop) rebuildTop();
    }

    /** After an eviction took items out of the top: the best remaining, found by one pass. */
    private void rebuildTop() {
        for (int i = 0; i < topSize; i++) top[i].rank = -1;
        Arrays.fill(top, 0, topSize, null);
        topSize = 0;
        for (ItemState s : items.values()) {
            if (s.popularity > 0) climb(s);
        }
        topChanged = true;
    }

    /** Feed thread, now and then: publishes the popular list to request threads if it changed. */
    public void publishPopular() {
        if (!topChanged) return;
        List<String> ids = new ArrayList<>(topSize);
        for (int i = 0; i < topSize; i++) ids.add(top[i].id);
        popular = List.copyOf(ids);
        topChanged = false;
    }

    public UserHistory history(String user) {
        return users.get(user);
    }

    public Item item(String id) {
        ItemState s = items.get(id);
        return s == null ? null : s.shown;
    }

    /** The most popular items, best first, as of the last {@link #publishPopular}. */
    public List<String> popular() {
        return popular;
    }

    public int users() {
        return users.size();
    }

    public int items() {
        return items.size();
    }

    /** Users and items removed so far, by age or by size. */
    public long evicted() {
        return evicted;
    }
}
