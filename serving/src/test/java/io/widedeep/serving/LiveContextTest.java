package io.widedeep.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import io.widedeep.serving.features.LiveContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LiveContextTest {
    private static final long HOUR = 3_600_000;

    private static LiveContext context(int maxUsers, long userTtl, int maxItems, long itemTtl, int popular) {
        LiveContext live = new LiveContext(new LiveContext.Limits(HOUR, maxUsers, userTtl, maxItems, itemTtl, popular));
        live.useExtractor(new FeatureExtractor(FeatureSpec.parse(TestData.SMALL_SPEC)));
        return live;
    }

    private static ClickEvent event(String user, String item, long time, boolean click) {
        return ClickEvent.newBuilder().setEventId("e" + time + user + item)
                .setEventType(click ? EventType.CLICK : EventType.IMPRESSION).setImpressionId("i" + time)
                .setUserId(user).setItemId(item).setEventTime(time).setContext(new HashMap<>(Map.of("device", "ios")))
                .setNumeric(new HashMap<>()).setLabel(click ? null : 0).build();
    }

    @Test
    void incrementalTopMatchesDecayedPopularityComputedFromScratch() {
        // clicks over 1,200 half-lives (the landmark moves every 512), items of very different
        // popularity that rises and falls: the kept top must equal a brute-force ranking
        LiveContext live = context(1000, Long.MAX_VALUE, 10_000, Long.MAX_VALUE, 20);
        Random rnd = new Random(7);
        Map<String, List<Long>> clicks = new HashMap<>();
        long t = 0;
        for (int i = 0; i < 60_000; i++) {
            t += rnd.nextInt((int) (HOUR / 50)) + HOUR / 100;
            int phase = (int) (t / (20 * HOUR)) % 3;  // which items are fashionable changes
            String item = "it" + (phase * 50 + (int) Math.abs(rnd.nextGaussian() * 30)) % 300;
            live.accept(event("u" + rnd.nextInt(500), item, t, true));
            clicks.computeIfAbsent(item, k -> new ArrayList<>()).add(t);
        }
        live.publishPopular();
        long now = t;
        Map<String, Double> decayed = new HashMap<>();
        clicks.forEach((item, times) -> decayed.put(item,
                times.stream().mapToDouble(c -> Math.pow(0.5, (now - c) / (double) HOUR)).sum()));
        List<String> expected = decayed.keySet().stream()
                .sorted(Comparator.comparingDouble((String k) -> -decayed.get(k))).limit(20).toList();
        assertEquals(expected, live.popular());
        assertTrue(now / HOUR > 1024, "the test must cross two landmark moves: " + now / HOUR);
    }

    @Test
    void itemsAndUsersBeyondTheCapGoLeastRecentlySeenFirst() {
        LiveContext live = context(100, Long.MAX_VALUE, 100, Long.MAX_VALUE, 10);
        for (int i = 0; i < 5000; i++) live.accept(event("u" + i, "it" + i, 1000L + i, false));
        assertTrue(live.items() <= 100, "items: " + live.items());
        assertTrue(live.users() <= 100, "users: " + live.users());
        assertNotNull(live.item("it4999"));
        assertNotNull(live.history("u4999"));
        assertNull(live.item("it0"));
        assertNull(live.history("u0"));
        assertTrue(live.evicted() >= 2 * (5000 - 100));
    }

    @Test
    void sweepRemovesWhatOutlivedItsTimeToLiveAndRefillsTheTop() {
        LiveContext live = context(1000, 10 * HOUR, 1000, 2 * HOUR, 3);
        for (int i = 0; i < 5; i++) {
            for (int c = 0; c < 100 * (i + 1); c++) live.accept(event("u0", "old" + i, 1000 + c, true));
        }
        for (int j = 0; j < 3; j++) {
            for (int c = 0; c <= j; c++) live.accept(event("u1", "mid" + j, 3 * HOUR / 2, true));
        }
        live.accept(event("u1", "fresh", 3 * HOUR, false));
        live.accept(event("u1", "fresh", 3 * HOUR, true));
        live.accept(event("u1", "fresh", 3 * HOUR, true));
        live.publishPopular();
        assertEquals(List.of("old4", "old3", "old2"), live.popular(), "before the sweep");
        assertEquals(9, live.items());
        assertNotNull(live.item("fresh"));
        live.sweep();
        live.publishPopular();
        // at event time 3 h the old items (seen at ~0) are past items.ttl.ms (2 h); the users are not (10 h).
        // The top refills from what is left: fresh (2 clicks at 3 h) beats mid2 (3 clicks 1.5 h earlier)
        assertEquals(List.of("fresh", "mid2", "mid1"), live.popular());
        assertEquals(4, live.items());
        assertEquals(2, live.users());
        assertEquals(5, live.evicted());
    }
}
