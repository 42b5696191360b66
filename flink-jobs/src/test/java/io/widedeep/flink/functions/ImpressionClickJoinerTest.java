package io.widedeep.flink.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.FeatureRow;
import io.widedeep.flink.records.JoinTimes;
import io.widedeep.flink.records.SourceRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.flink.records.FeaturePublishing;
import io.widedeep.flink.records.ItemShown;
import io.widedeep.flink.records.KeyedRecord;
import io.widedeep.schemas.ServingFeatures;
import io.widedeep.schemas.UserFeatures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The joiner's rules, one at a time, under Flink's keyed operator harness with event time (the
 * watermark) and state-TTL time in the test's hands: the attribution window, late clicks within the
 * horizon, early clicks, pre-labelled events and producer retries.
 */
class ImpressionClickJoinerTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long WINDOW = 30_000;
    private static final long HORIZON = 60_000;
    private static final long DEDUP_TTL = 3_600_000;
    private static final long HALF_LIFE = 3_600_000;
    private static final String SPEC = """
            {"fields": [{"name": "item", "source": "item_id"}, {"name": "recent", "source": "history.recent_items"}],
             "wide": {"fields": ["item"], "crosses": [["recent", "item"]]},
             "training": {"batch_size": 4}, "history": {"max_items": 5}}""";

    private final AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
    private KeyedOneInputStreamOperatorTestHarness<String, SourceRecord, FeatureRow> h;

    @BeforeEach
    void open() throws Exception {
        h = harness();
        h.open();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, SourceRecord, FeatureRow> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new ImpressionClickJoiner(SPEC, new JoinTimes(WINDOW, HORIZON, 30L * 86_400_000, DEDUP_TTL),
                        new FeaturePublishing("features", 1000, 86_400_000, HALF_LIFE))),
                r -> r.userId, Types.STRING);
    }

    private void send(String id, EventType type, String impression, long time, Integer label) throws Exception {
        ClickEvent e = ClickEvent.newBuilder().setEventId(id).setEventType(type).setImpressionId(impression)
                .setUserId("u1").setItemId("item-" + impression).setEventTime(time).setContext(new HashMap<>())
                .setNumeric(new HashMap<>()).setLabel(label).build();
        h.processElement(SourceRecord.valid(e, serde.encode(e), time, time), time);
    }

    private void impression(String id, long time) throws Exception {
        send(id, EventType.IMPRESSION, id, time, null);
    }

    private void click(String impression, long time) throws Exception {
        send("click-of-" + impression + "@" + time, EventType.CLICK, impression, time, null);
    }

    private List<FeatureRow> out() {
        return h.extractOutputValues();
    }

    @Test
    void aClickInsideTheWindowMakesThePositiveAtOnceAndNoNegativeFollows() throws Exception {
        impression("a", T0);
        assertTrue(out().isEmpty(), "an impression waits for its label");
        click("a", T0 + WINDOW - 1);
        assertEquals(1, out().size(), "labelled the moment the click arrives");
        FeatureRow positive = out().get(0);
        assertEquals(1f, positive.label);
        assertFalse(positive.lateClick);
        assertEquals(T0, positive.eventTime, "the example is the impression, at its own time");
        h.processWatermark(new Watermark(T0 + WINDOW + HORIZON + 1));
        assertEquals(1, out().size(), "its window closing emits nothing more");
    }

    @Test
    void anImpressionWithoutAClickIsANegativeExactlyWhenTheWatermarkPassesItsWindow() throws Exception {
        impression("a", T0);
        h.processWatermark(new Watermark(T0 + WINDOW - 1));
        assertTrue(out().isEmpty(), "the window is still open");
        h.processWatermark(new Watermark(T0 + WINDOW));
        assertEquals(1, out().size());
        assertEquals(0f, out().get(0).label);
        assertEquals(T0 + WINDOW, out().get(0).labelTime, "a negative is labelled by its window's end");
    }

    @Test
    void aClickAfterTheWindowCorrectsTheNegativeWithinTheHorizonAndIsDroppedAfterIt() throws Exception {
        impression("a", T0);
        impression("b", T0 + 1);
        h.processWatermark(new Watermark(T0 + WINDOW + 1));
        assertEquals(2, out().size(), "both trained as negatives");
        click("a", T0 + WINDOW + HORIZON - 10);
        assertEquals(3, out().size());
        FeatureRow late = out().get(2);
        assertTrue(late.lateClick, "trained as the correction of its negative");
        assertEquals(1f, late.label);
        click("a", T0 + WINDOW + HORIZON - 5);
        assertEquals(3, out().size(), "a second click on the same impression finds nothing to correct");
        h.processWatermark(new Watermark(T0 + 1 + WINDOW + HORIZON));
        click("b", T0 + WINDOW + HORIZON + 100);
        assertEquals(3, out().size(), "past the horizon the click is unmatched");
        h.processWatermark(new Watermark(T0 + 10 * (WINDOW + HORIZON)));
        assertEquals(3, out().size(), "and stays so");
    }

    @Test
    void aClickBeforeItsImpressionWaitsOneWindowForIt() throws Exception {
        click("a", T0 + 5);
        impression("a", T0);
        assertEquals(1, out().size(), "the impression finds its early click: a positive at once");
        assertEquals(1f, out().get(0).label);
        click("b", T0 + 10);
        h.processWatermark(new Watermark(T0 + 10 + WINDOW));
        impression("b", T0 + 20);
        assertEquals(1, out().size(), "an early click whose impression came too late was dropped; the impression waits");
        h.processWatermark(new Watermark(T0 + 20 + WINDOW));
        assertEquals(0f, out().get(1).label, "and becomes an ordinary negative");
    }

    @Test
    void aProducersRetryIsDroppedUntilTheDedupTtlPasses() throws Exception {
        h.setStateTtlProcessingTime(0);
        send("e1", EventType.IMPRESSION, "x", T0, 1);
        send("e1", EventType.IMPRESSION, "x", T0, 1);
        assertEquals(1, out().size(), "a pre-labelled event is an example at once, and its retry is not another");
        assertEquals(1f, out().get(0).label);
        h.setStateTtlProcessingTime(DEDUP_TTL + 1);
        send("e1", EventType.IMPRESSION, "x", T0, 1);
        assertEquals(2, out().size(), "after the dedup TTL the id is forgotten (bounded state)");
    }

    @Test
    void examplesKeepTheHistoryAsItWasWhenTheImpressionWasShown() throws Exception {
        impression("a", T0);
        click("a", T0 + 100); // a clicked: from now on in the user's recent items
        impression("b", T0 + 200);
        click("b", T0 + 300);
        List<FeatureRow> rows = out();
        assertEquals(2, rows.size());
        Map<String, Integer> recentKeys = Map.of("a", rows.get(0).values.length, "b", rows.get(1).values.length);
        assertTrue(recentKeys.get("b") > recentKeys.get("a"),
                "b was shown after a's click, so its row carries a as a recent item; a's row has no history: " + recentKeys);
    }

    @Test
    void everyHistoryChangeIsPublishedAsTheJoinerHoldsItAndEveryExamplesImpressionGoesToItsItem() throws Exception {
        impression("a", T0);
        click("a", T0 + 1000);
        impression("b", T0 + 2000);
        click("b", T0 + 2500);
        click("b", T0 + 2600); // a second click of the same impression: nothing left to match, no change
        impression("c", T0 + 3000);
        h.processWatermark(new Watermark(T0 + 3000 + WINDOW + 1)); // c becomes a negative
        AvroSerde<ServingFeatures> features = AvroSerde.servingFeatures();
        List<UserFeatures> published = new ArrayList<>();
        for (StreamRecord<KeyedRecord> r : h.getSideOutput(ImpressionClickJoiner.USER_FEATURES)) {
            assertEquals("user:u1", new String(r.getValue().key, StandardCharsets.UTF_8));
            published.add((UserFeatures) features.decode(r.getValue().value).getEntity());
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), published.stream().map(UserFeatures::getSequence).toList(),
                "one record per change (impression, click, impression, click, impression), in order");
        UserFeatures last = published.get(published.size() - 1);
        assertEquals(List.of(FeatureExtractor.itemHash("item-b"), FeatureExtractor.itemHash("item-a")), last.getRecentItems());
        assertEquals(3, last.getImpressions());
        assertEquals(2, last.getClicks());
        // c's example was built with the history published before c: recent items b, a
        FeatureRow c = out().stream().filter(r -> r.eventTime == T0 + 3000).findFirst().orElseThrow();
        assertEquals(List.of(FeatureExtractor.itemHash("item-b"), FeatureExtractor.itemHash("item-a")),
                java.util.Arrays.stream(c.values, c.fieldEnds[0], c.fieldEnds[1]).boxed().toList());
        assertTrue(h.getSideOutput(ImpressionClickJoiner.ITEMS_SHOWN) == null, "items wait to be combined");
        h.setProcessingTime(ImpressionClickJoiner.ITEM_FLUSH_MS);
        Map<String, ItemShown> shown = new HashMap<>();
        for (StreamRecord<ItemShown> r : h.getSideOutput(ImpressionClickJoiner.ITEMS_SHOWN)) shown.put(r.getValue().itemId, r.getValue());
        assertEquals(3, shown.size(), "each example's item, once");
        assertEquals(1, shown.get("item-a").clicks);
        assertEquals(ServingFeatureRecords.addClick(Double.NEGATIVE_INFINITY, T0 + 2500, HALF_LIFE), shown.get("item-b").log2Clicks);
        assertEquals(0, shown.get("item-c").clicks);
        assertEquals(T0 + 3000, shown.get("item-c").shownAt);
    }

    @Test
    void anItemsExamplesAreCombinedUntilTheFlushAndSurviveACheckpoint() throws Exception {
        for (int i = 0; i < 5; i++) { // pre-labelled impressions of one item, two of them clicked
            ClickEvent e = ClickEvent.newBuilder().setEventId("e" + i).setEventType(EventType.IMPRESSION).setImpressionId("i" + i)
                    .setUserId("u" + i).setItemId("shared").setEventTime(T0 + i).setContext(new HashMap<>())
                    .setNumeric(new HashMap<>()).setLabel(i % 2).build();
            h.processElement(SourceRecord.valid(e, serde.encode(e), T0 + i, T0 + i), T0 + i);
        }
        var snapshot = h.snapshot(1, 1);
        h.close();
        // a new instance restored from the checkpoint: of the heap, only what was snapshotted survives
        h = harness();
        h.initializeState(snapshot);
        h.open();
        h.setProcessingTime(ImpressionClickJoiner.ITEM_FLUSH_MS);
        List<ItemShown> shown = new ArrayList<>();
        for (StreamRecord<ItemShown> r : h.getSideOutput(ImpressionClickJoiner.ITEMS_SHOWN)) shown.add(r.getValue());
        assertEquals(1, shown.size(), "one record for the item's five examples");
        assertEquals(2, shown.get(0).clicks);
        assertEquals(T0 + 4, shown.get(0).shownAt, "the newest impression's attributes");
        double expected = ServingFeatureRecords.addClick(ServingFeatureRecords.addClick(Double.NEGATIVE_INFINITY, T0 + 1, HALF_LIFE),
                T0 + 3, HALF_LIFE);
        assertEquals(expected, shown.get(0).log2Clicks, 1e-12);
    }
}
