package io.widedeep.core.features;

import io.widedeep.schemas.ServingFeatures;
import io.widedeep.schemas.UserFeatures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The serving-features topic's records ({@code ServingFeatures.avsc}): the training job writes what
 * it builds examples from, servers read it back, through these functions on both sides, so a user's
 * history at a server is, bit for bit, the one the job's joiner holds.
 *
 * <p>Keys are {@code user:<id>} and {@code item:<id>}: one compacted topic keeps the latest record of
 * each entity.
 */
public final class ServingFeatureRecords {
    private ServingFeatureRecords() {}

    public static final String USER_PREFIX = "user:";
    public static final String ITEM_PREFIX = "item:";

    public static byte[] userKey(String userId) {
        return (USER_PREFIX + userId).getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] itemKey(String itemId) {
        return (ITEM_PREFIX + itemId).getBytes(StandardCharsets.UTF_8);
    }

    /** A user's history as the record the job publishes, written now and forgotten {@code ttlMs} later. */
    public static ServingFeatures user(String userId, UserHistory h, long specFingerprint, long now, long ttlMs) {
        List<Long> items = new ArrayList<>(h.itemCount());
        for (int i = 0; i < h.itemCount(); i++) items.add(h.item(i));
        List<Long> categories = new ArrayList<>(h.categoryCount());
        for (int i = 0; i < h.categoryCount(); i++) categories.add(h.category(i));
        UserFeatures u = UserFeatures.newBuilder().setUserId(userId).setSequence(h.sequence())
                .setRecentItems(items).setRecentCategories(categories)
                .setImpressions(h.impressions()).setClicks(h.clicks()).setLastEventTime(h.lastEventTime()).build();
        return ServingFeatures.newBuilder().setSpecFingerprint(specFingerprint).setWrittenAt(now)
                .setExpiresAt(saturatedAdd(now, ttlMs)).setEntity(u).build();
    }

    /** The history a user record carries, bounded by the spec's {@code history.max_items}. */
    public static UserHistory history(UserFeatures u, int maxItems) {
        return UserHistory.of(maxItems, toArray(u.getRecentItems()), toArray(u.getRecentCategories()),
                u.getImpressions(), u.getClicks(), u.getLastEventTime());
    }

    /**
     * Forward-decayed popularity (Cormode et al., ICDE 2009) kept as a base-2 logarithm with landmark 0:
     * one more click at {@code clickTime} adds 2<sup>clickTime / halfLife</sup> to the sum. In the log
     * domain the sum never overflows and two items compare by it at any time, whoever computed it.
     */
    public static double addClick(double log2Popularity, long clickTime, long halfLifeMs) {
        return addLog2(log2Popularity, clickTime / (double) halfLifeMs);
    }

    /** log2(2^a + 2^b), without leaving double range; -Infinity stands for an empty sum. */
    public static double addLog2(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) return b;
        if (b == Double.NEGATIVE_INFINITY) return a;
        double hi = Math.max(a, b);
        double lo = Math.min(a, b);
        return hi + Math.log1p(Math.pow(2, lo - hi)) / LN2;
    }

    private static final double LN2 = Math.log(2);

    static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static long[] toArray(List<Long> l) {
        long[] a = new long[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}
