package io.widedeep.core.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.widedeep.core.TestData;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeatureExtractorTest {
    // without unknown values: a key per field value, none for the fields' shared "unknown" weights
    private final FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"wide\": {", "\"wide\": {\"unknown_values\": false, "));

    @Test
    void crossesEnumerateHistoryTimesItem() {
        FeatureExtractor fx = new FeatureExtractor(spec);
        ExampleBatch b = fx.newBatch(4);
        ClickEvent e = TestData.event(new Random(1), 3, 3, 5);
        UserHistory h = new UserHistory(4);
        fx.extract(e, h, 0, b); // no history: 3 single fields + user x item
        assertEquals(4, b.wideEnd(0) - b.wideStart(0));
        h.recordClick(FeatureExtractor.itemHash("a"), 0, false, 1);
        h.recordClick(FeatureExtractor.itemHash("b"), 0, false, 2);
        h.recordClick(FeatureExtractor.itemHash("a"), 0, false, 3); // moves to front, no duplicate
        assertEquals(2, h.itemCount());
        assertEquals(FeatureExtractor.itemHash("a"), h.item(0));
        fx.extract(e, h, 1, b); // + 2 recent x item keys
        assertEquals(6, b.wideEnd(1) - b.wideStart(1));
        assertEquals(2, b.valueEnd(1, 4) - b.valueStart(1, 4));
        // same inputs give the same keys; the recent-item cross keys differ from the others
        for (int i = 0; i < 4; i++) {
            assertEquals(b.wideKey(b.wideStart(0) + i), b.wideKey(b.wideStart(1) + i));
        }
        assertNotEquals(b.wideKey(b.wideStart(1) + 4), b.wideKey(b.wideStart(1) + 5));
        assertEquals((float) Math.log1p(e.getNumeric().get("price")), b.numeric(0, 3), 1e-6f);
    }

    @Test
    void historyRoundTripsAndKeepsItsBound() {
        UserHistory h = new UserHistory(3);
        for (int i = 0; i < 10; i++) h.recordClick(i, 100 + i, true, i);
        h.recordImpression(20);
        assertEquals(3, h.itemCount());
        assertEquals(9, h.item(0));
        UserHistory back = UserHistory.fromBytes(h.toBytes(), 3);
        assertEquals(h.itemCount(), back.itemCount());
        assertEquals(h.item(2), back.item(2));
        assertEquals(h.category(0), back.category(0));
        assertEquals(1, back.impressions(), "clicks are counted apart from impressions");
        assertEquals(10, back.clicks());
        assertEquals(2, UserHistory.fromBytes(h.toBytes(), 2).itemCount());
    }

    @Test
    void log1pMemoAnswersLikeAFreshExtractor() {
        // the extractor remembers the last log1p per field; alternating, repeated, signed and zero inputs
        // must give exactly what a fresh extractor computes
        FeatureExtractor reused = new FeatureExtractor(spec);
        ExampleBatch rb = reused.newBatch(16);
        double[] prices = {3.5, 3.5, 99.0, 3.5, -2.0, -0.0, 0.0, 0.0, -0.0, 1e-30, 7.25, 7.25};
        for (int i = 0; i < prices.length; i++) {
            java.util.Map<String, Double> num = java.util.Map.of("price", prices[i]);
            int row = reused.extract("u", "i", java.util.Map.of(), num, 0L, null, 0f, rb);
            FeatureExtractor fresh = new FeatureExtractor(spec);
            ExampleBatch fb = fresh.newBatch(1);
            fresh.extract("u", "i", java.util.Map.of(), num, 0L, null, 0f, fb);
            float p = (float) prices[i];
            float expected = (float) (p >= 0 ? Math.log1p(p) : -Math.log1p(-p));
            assertEquals(Float.floatToRawIntBits(fb.numeric(0, 3)), Float.floatToRawIntBits(rb.numeric(row, 3)), "price " + prices[i]);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(rb.numeric(row, 3)), "price " + prices[i]);
        }
    }

    @Test
    void resolvedValuesGiveTheRowsOfTheMergedMaps() {
        // serving: the request's values over the item's as last shown, both resolved ahead of time, must
        // give bit for bit the row the map form gives for the two maps merged (request keys winning)
        FeatureSpec two = FeatureSpec.parse("""
                {"fields": [{"name": "user", "source": "user_id"}, {"name": "item", "source": "item_id"},
                            {"name": "device", "source": "context.device"}, {"name": "region", "source": "context.region"},
                            {"name": "price", "source": "numeric.price", "type": "numeric", "transform": "log1p"},
                            {"name": "age", "source": "numeric.age", "type": "numeric"},
                            {"name": "recent", "source": "history.recent_items"}],
                 "wide": {"fields": ["item", "device", "region"], "crosses": [["region", "item"], ["recent", "device"]]},
                 "deep": {"fields": ["user", "item", "region"], "numeric": ["price", "age"], "embedding_dim": 4, "hidden": [4]}}
                """);
        FeatureExtractor fx = new FeatureExtractor(two);
        Random rnd = new Random(3);
        String[] keys = {"device", "region", "other"};
        String[] nums = {"price", "age", "other"};
        double[] odd = {0.0, -0.0, -2.5, 7.0, Double.NaN, Double.POSITIVE_INFINITY, 1e30};
        UserHistory h = new UserHistory(3);
        h.recordClick(FeatureExtractor.itemHash("x"), 0, false, 1);
        ExampleBatch viaMaps = fx.newBatch(400), viaValues = fx.newBatch(400);
        FeatureExtractor.FieldValues top = fx.newValues(), base = fx.newValues();
        for (int r = 0; r < 400; r++) {
            Map<String, String> req = new HashMap<>(), shown = new HashMap<>();
            Map<String, Double> reqNum = new HashMap<>(), shownNum = new HashMap<>();
            for (String k : keys) {
                if (rnd.nextInt(3) == 0) req.put(k, "v" + rnd.nextInt(4));
                if (rnd.nextBoolean()) shown.put(k, "v" + rnd.nextInt(4));
            }
            for (String k : nums) {
                if (rnd.nextInt(3) == 0) reqNum.put(k, odd[rnd.nextInt(odd.length)]);
                if (rnd.nextBoolean()) shownNum.put(k, rnd.nextGaussian() * 10);
            }
            Map<String, String> merged = new HashMap<>(shown);
            merged.putAll(req);
            Map<String, Double> mergedNum = new HashMap<>(shownNum);
            mergedNum.putAll(reqNum);
            UserHistory hist = r % 2 == 0 ? h : null;
            fx.extract("u" + r % 7, "i" + r % 5, merged, mergedNum, 10, hist, 0, viaMaps);
            boolean noItem = r % 9 == 0; // an item never shown: the request's values alone
            fx.extract("u" + r % 7, "i" + r % 5, fx.resolve(noItem ? merged : req, noItem ? mergedNum : reqNum, top),
                    noItem ? null : fx.resolve(shown, shownNum, base), 10, hist, 0, viaValues);
        }
        for (int r = 0; r < 400; r++) {
            for (int f = 0; f < viaMaps.numFields(); f++) {
                assertEquals(Float.floatToRawIntBits(viaMaps.numeric(r, f)), Float.floatToRawIntBits(viaValues.numeric(r, f)), "row " + r + " field " + f);
                assertEquals(viaMaps.valueEnd(r, f) - viaMaps.valueStart(r, f), viaValues.valueEnd(r, f) - viaValues.valueStart(r, f));
                for (int i = viaMaps.valueStart(r, f), j = viaValues.valueStart(r, f); i < viaMaps.valueEnd(r, f); i++, j++) {
                    assertEquals(viaMaps.value(i), viaValues.value(j), "row " + r + " field " + f);
                }
            }
            assertEquals(viaMaps.wideEnd(r) - viaMaps.wideStart(r), viaValues.wideEnd(r) - viaValues.wideStart(r));
            for (int i = viaMaps.wideStart(r), j = viaValues.wideStart(r); i < viaMaps.wideEnd(r); i++, j++) {
                assertEquals(viaMaps.wideKey(i), viaValues.wideKey(j), "row " + r);
            }
        }
    }
}
