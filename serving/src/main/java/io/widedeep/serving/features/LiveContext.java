package io.widedeep.serving.features;

import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.UserHistory;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What serving knows about users and items, learned from the clicks topic with the same model-core
 * code the trainer uses ({@link FeatureExtractor#updateHistory}, {@link FeatureExtractor#recordClick}):
 * each user's history, each item's attributes as last shown, and item popularity (clicks with an
 * exponential decay). Written by one feed thread; read by request threads. Histories are replaced,
 * never mutated in place, so a request never sees one half-updated.
 */
public final class LiveContext {
    /** An item's context and numerics as carried by its latest impression. */
    public record Item(Map<String, String> context, Map<String, Double> numeric) {}

    private final ConcurrentHashMap<String, UserHistory> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Item> items = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, double[]> popularity = new ConcurrentHashMap<>(); // {score, time}
    private final long halfLifeMs;
    private final int maxUsers;
    private final long userTtlMs;
    private volatile List<String> popular = List.of();
    private volatile FeatureExtractor extractor;
    private long latestTime;

    public LiveContext(long halfLifeMs, int maxUsers, long userTtlMs) {
        this.halfLifeMs = halfLifeMs;
        this.maxUsers = maxUsers;
        this.userTtlMs = userTtlMs;
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
        latestTime = Math.max(latestTime, e.getEventTime());
        boolean impression = e.getEventType() == EventType.IMPRESSION;
        boolean click = !impression || (e.getLabel() != null && e.getLabel() == 1);
        if (impression) {
            items.put(e.getItemId(), new Item(Map.copyOf(e.getContext()), Map.copyOf(e.getNumeric())));
        }
        users.compute(e.getUserId(), (k, old) -> {
            int max = fx.spec().historyMaxItems();
            UserHistory h = old == null ? new UserHistory(max) : UserHistory.fromBytes(old.toBytes(), max);
            if (impression) {
                fx.updateHistory(h, e, e.getLabel() != null && e.getLabel() == 1);
            } else {
                Item shown = items.get(e.getItemId());
                ClickEvent asShown = shown == null ? e : ClickEvent.newBuilder(e).setContext(shown.context()).build();
                fx.recordClick(h, asShown, e.getEventTime());
            }
            return h;
        });
        if (click) {
            popularity.compute(e.getItemId(), (k, s) -> {
                if (s == null) return new double[] {1, e.getEventTime()};
                double decay = Math.pow(0.5, Math.max(0, e.getEventTime() - s[1]) / (double) halfLifeMs);
                return new double[] {s[0] * decay + 1, Math.max(s[1], e.getEventTime())};
            });
        }
        if (users.size() > maxUsers) evictIdleUsers();
    }

    private void evictIdleUsers() {
        long cutoff = latestTime - userTtlMs;
        users.entrySet().removeIf(en -> en.getValue().lastEventTime() < cutoff);
        if (users.size() > maxUsers) {
            // still too many: drop the least recently active tenth
            List<Map.Entry<String, UserHistory>> all = new ArrayList<>(users.entrySet());
            all.sort(Comparator.comparingLong(en -> en.getValue().lastEventTime()));
            for (int i = 0; i < all.size() / 10; i++) users.remove(all.get(i).getKey());
        }
    }

    /** Feed thread, now and then: recompute the list of popular items. */
    public void refreshPopular(int n) {
        long now = latestTime;
        List<Map.Entry<String, double[]>> all = new ArrayList<>(popularity.entrySet());
        all.sort(Comparator.comparingDouble(en -> -en.getValue()[0] * Math.pow(0.5, (now - en.getValue()[1]) / (double) halfLifeMs)));
        List<String> top = new ArrayList<>(Math.min(n, all.size()));
        for (int i = 0; i < Math.min(n, all.size()); i++) top.add(all.get(i).getKey());
        popular = List.copyOf(top);
    }

    public UserHistory history(String user) {
        return users.get(user);
    }

    public Item item(String id) {
        return items.get(id);
    }

    public List<String> popular() {
        return popular;
    }

    public int users() {
        return users.size();
    }

    public int items() {
        return items.size();
    }
}
