package io.widedeep.serving.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ItemFeatures;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ItemCatalogTest {
    private static final long HOUR = 3_600_000;
    private static final long FOREVER = Long.MAX_VALUE;

    private static ItemFeatures item(String id, long shownAt, double log2Popularity, String device) {
        return ItemFeatures.newBuilder().setItemId(id).setShownAt(shownAt)
                .setContext(new HashMap<>(Map.of("device", device))).setNumeric(new HashMap<>())
                .setClicks(0).setLog2Popularity(log2Popularity).build();
    }

    @Test
    void incrementalTopMatchesDecayedPopularityComputedFromScratch() {
        // clicks over 1,200 half-lives, items of very different popularity that rises and falls, each
        // click followed by the item's record as the job writes it: the kept top must equal a
        // brute-force ranking of the decayed click counts
        ItemCatalog catalog = new ItemCatalog(10_000, 20);
        Random rnd = new Random(7);
        Map<String, List<Long>> clicks = new HashMap<>();
        Map<String, Double> log2 = new HashMap<>();
        long t = 0;
        for (int i = 0; i < 60_000; i++) {
            t += rnd.nextInt((int) (HOUR / 50)) + HOUR / 100;
            int phase = (int) (t / (20 * HOUR)) % 3; // which items are fashionable changes
            String id = "it" + (phase * 50 + (int) Math.abs(rnd.nextGaussian() * 30)) % 300;
            double p = ServingFeatureRecords.addClick(log2.getOrDefault(id, Double.NEGATIVE_INFINITY), t, HOUR);
            log2.put(id, p);
            catalog.accept(item(id, t, p, "ios"), FOREVER, 0);
            clicks.computeIfAbsent(id, k -> new ArrayList<>()).add(t);
        }
        catalog.publishPopular();
        long now = t;
        Map<String, Double> decayed = new HashMap<>();
        clicks.forEach((id, times) -> decayed.put(id, times.stream().mapToDouble(c -> Math.pow(0.5, (now - c) / (double) HOUR)).sum()));
        List<String> expected = decayed.keySet().stream()
                .sorted(Comparator.comparingDouble((String k) -> -decayed.get(k))).limit(20).toList();
        assertEquals(expected, catalog.popular());
        assertTrue(now / HOUR > 1024, "far beyond where 2^(t/halfLife) leaves double range without logs: " + now / HOUR);
    }

    @Test
    void aReplayedLowerPopularityRebuildsTheTop() {
        ItemCatalog catalog = new ItemCatalog(100, 2);
        catalog.accept(item("a", 1, 10, "ios"), FOREVER, 0);
        catalog.accept(item("b", 1, 9, "ios"), FOREVER, 0);
        catalog.accept(item("c", 1, 8, "ios"), FOREVER, 0);
        catalog.publishPopular();
        assertEquals(List.of("a", "b"), catalog.popular());
        catalog.accept(item("a", 1, 7, "ios"), FOREVER, 0); // a job restored from a checkpoint re-sends an older state
        catalog.publishPopular();
        assertEquals(List.of("b", "c"), catalog.popular());
    }

    @Test
    void attributesFollowTheNewestImpressionAndAreResolvedForTheServedSpec() {
        ItemCatalog catalog = new ItemCatalog(100, 2);
        catalog.accept(item("a", 100, 1, "ios"), FOREVER, 0);
        assertNull(catalog.item("a").values(), "no model yet: nothing to resolve for");
        FeatureExtractor fx = new FeatureExtractor(FeatureSpec.parse(TestData.SMALL_SPEC));
        catalog.useExtractor(fx);
        assertEquals(fx.spec().fingerprint(), catalog.item("a").values().specFingerprint());
        catalog.accept(item("a", 50, 2, "android"), FOREVER, 0); // a late click's older impression
        assertEquals("ios", catalog.item("a").context().get("device"));
        catalog.accept(item("a", 200, 3, "android"), FOREVER, 0);
        assertEquals("android", catalog.item("a").context().get("device"));
        assertEquals(fx.spec().fingerprint(), catalog.item("a").values().specFingerprint());
    }

    @Test
    void beyondTheCapTheLeastRecentlyShownGo() {
        ItemCatalog catalog = new ItemCatalog(100, 10);
        for (int i = 0; i < 5000; i++) catalog.accept(item("it" + i, 1000L + i, i, "ios"), FOREVER, 0);
        assertTrue(catalog.items() <= 100, "items: " + catalog.items());
        assertNotNull(catalog.item("it4999"));
        assertNull(catalog.item("it0"));
        assertTrue(catalog.evicted() >= 5000 - 100);
        catalog.publishPopular();
        assertEquals("it4999", catalog.popular().get(0));
    }

    @Test
    void expiredRecordsAreIgnoredAndSweptAndTheTopRefills() {
        ItemCatalog catalog = new ItemCatalog(1000, 2);
        catalog.accept(item("old", 1, 100, "ios"), 5_000, 0);
        catalog.accept(item("mid", 1, 50, "ios"), 20_000, 0);
        catalog.accept(item("new", 1, 10, "ios"), 20_000, 0);
        catalog.accept(item("dead", 1, 1000, "ios"), 5_000, 6_000); // expired on arrival
        catalog.publishPopular();
        assertEquals(List.of("old", "mid"), catalog.popular());
        assertNull(catalog.item("dead"));
        catalog.sweep(10_000);
        catalog.publishPopular();
        assertEquals(List.of("mid", "new"), catalog.popular());
        assertEquals(2, catalog.items());
        assertEquals(1, catalog.evicted());
    }
}
