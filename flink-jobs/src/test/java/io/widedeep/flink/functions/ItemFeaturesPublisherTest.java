package io.widedeep.flink.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.flink.records.FeaturePublishing;
import io.widedeep.flink.records.ItemShown;
import io.widedeep.flink.records.KeyedRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import io.widedeep.schemas.ItemFeatures;
import io.widedeep.schemas.ServingFeatures;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An item's serving features: published at once, then at most once per interval with all that changed meanwhile. */
class ItemFeaturesPublisherTest {
    private static final long INTERVAL = 1000;
    private static final long HALF_LIFE = 3_600_000;
    private static final long TTL = 86_400_000;

    private final AvroSerde<ClickEvent> events = AvroSerde.clickEvents();
    private final AvroSerde<ServingFeatures> features = AvroSerde.servingFeatures();
    private KeyedOneInputStreamOperatorTestHarness<String, ItemShown, KeyedRecord> h;

    @BeforeEach
    void open() throws Exception {
        h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new ItemFeaturesPublisher(new FeaturePublishing("t", INTERVAL, TTL, HALF_LIFE), 77)),
                s -> s.itemId, Types.STRING);
        h.open();
        h.setProcessingTime(10_000);
    }

    private void shown(String item, long at, String colour, boolean clicked, long clickTime) throws Exception {
        ClickEvent e = ClickEvent.newBuilder().setEventId("e" + at).setEventType(EventType.IMPRESSION).setImpressionId("i" + at)
                .setUserId("u").setItemId(item).setEventTime(at).setContext(new HashMap<>(Map.of("colour", colour)))
                .setNumeric(new HashMap<>(Map.of("price", 3.5))).setLabel(null).build();
        h.processElement(new ItemShown(item, at, events.encode(e), clicked ? 1 : 0,
                clicked ? ServingFeatureRecords.addClick(Double.NEGATIVE_INFINITY, clickTime, HALF_LIFE) : Double.NEGATIVE_INFINITY), at);
    }

    private List<ServingFeatures> published() throws Exception {
        List<ServingFeatures> out = new java.util.ArrayList<>();
        for (KeyedRecord r : h.extractOutputValues()) out.add(features.decode(r.value));
        return out;
    }

    @Test
    void publishesAtOnceThenAtMostOncePerIntervalWithTheNewestState() throws Exception {
        shown("x", 100, "red", true, 150);
        assertEquals(1, published().size(), "a new item goes out at once");
        shown("x", 200, "blue", false, 0);
        shown("x", 300, "green", true, 350);
        shown("x", 50, "grey", true, 400); // a late click on an older impression: counts, but its colour is not the newest
        assertEquals(1, published().size(), "within the interval: held");
        h.setProcessingTime(10_000 + INTERVAL);
        List<ServingFeatures> out = published();
        assertEquals(2, out.size(), "one record for the three changes");
        ItemFeatures f = (ItemFeatures) out.get(1).getEntity();
        assertEquals("green", f.getContext().get("colour"));
        assertEquals(3.5, f.getNumeric().get("price"));
        assertEquals(300, f.getShownAt());
        assertEquals(3, f.getClicks());
        double expected = Double.NEGATIVE_INFINITY;
        for (long t : new long[] {150, 350, 400}) expected = ServingFeatureRecords.addClick(expected, t, HALF_LIFE);
        assertEquals(expected, f.getLog2Popularity());
        assertEquals(77, out.get(1).getSpecFingerprint());
        assertEquals(10_000 + INTERVAL + TTL, out.get(1).getExpiresAt());
        h.setProcessingTime(10_000 + 5 * INTERVAL);
        assertEquals(2, published().size(), "nothing changed: nothing more");
        shown("x", 500, "green", false, 0);
        assertEquals(3, published().size(), "a change after a quiet interval goes out at once");
    }
}
