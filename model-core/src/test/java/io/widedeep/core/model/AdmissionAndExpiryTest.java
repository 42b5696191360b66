package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.Hashing;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionAndExpiryTest {
    private static final FeatureSpec SPEC = FeatureSpec.parse("""
            {"fields": [{"name": "item", "source": "item_id"}, {"name": "ctx", "source": "context.c"}],
             "wide": {"fields": ["item"], "expire_after_ms": 10000},
             "deep": {"fields": ["item", "ctx"], "embedding_dim": 4, "hidden": [4], "min_count": 3, "expire_after_ms": 10000},
             "ftrl": {"l1": 0.0}, "training": {"batch_size": 4}}""");

    private static ExampleBatch batch(String item, long time) {
        FeatureExtractor fx = new FeatureExtractor(SPEC);
        ExampleBatch b = fx.newBatch(4);
        Map<String, String> ctx = new HashMap<>(Map.of("c", "x"));
        ClickEvent e = ClickEvent.newBuilder().setEventId("e").setEventType(EventType.IMPRESSION).setImpressionId("i")
                .setUserId("u").setItemId(item).setEventTime(time).setContext(ctx).setNumeric(new HashMap<>())
                .setLabel(1).build();
        fx.extract(e, null, 1f, b);
        return b;
    }

    @Test
    void embeddingRowsAreAdmittedAfterMinCountAndUnusedRowsExpire() throws Exception {
        WideDeepModel m = WideDeepModel.create(SPEC);
        EmbeddingTable items = m.embeddings[0];
        long rare = Hashing.string("rare");
        m.trainBatch(batch("rare", 1000), null);
        m.trainBatch(batch("rare", 1001), null);
        assertEquals(-1, items.index.get(rare), "seen twice: not admitted yet");
        m.trainBatch(batch("rare", 1002), null);
        assertTrue(items.index.get(rare) >= 0, "third sighting admits the row");
        assertTrue(m.wide.index.get(batch("rare", 0).wideKey(0)) >= 0, "wide coordinate exists");

        WideDeepModel reader = ModelCodec.decodeFull(ModelCodec.encodeFull(m, false));
        ModelCodec.clearChanges(m);
        // time moves on with another item only; the expiry sweep (every 64 batches) drops "rare"
        for (int i = 0; i < 64; i++) m.trainBatch(batch("hot", 50_000 + i), null);
        assertEquals(-1, items.index.get(rare), "embedding row unused for longer than 10 s expired");
        assertEquals(-1, m.wide.index.get(batch("rare", 0).wideKey(0)), "wide coordinate expired too");
        assertTrue(items.index.get(Hashing.string("hot")) >= 0);
        ModelCodec.applyDelta(reader, ModelCodec.encodeDelta(m));
        assertEquals(-1, reader.embeddings[0].index.get(rare), "the delta carries the removal to readers");
        assertEquals(ModelCodec.weightsDigest(m), ModelCodec.weightsDigest(reader));
    }

    @Test
    void aFarFutureEventExpiresNothingWhenExpiryFollowsTheWatermark() {
        long year2999 = 32_472_144_000_000L;
        WideDeepModel byWatermark = WideDeepModel.create(SPEC);
        WideDeepModel byEventTime = WideDeepModel.create(SPEC);
        for (WideDeepModel m : new WideDeepModel[] {byWatermark, byEventTime}) {
            for (int i = 0; i < 3; i++) m.trainBatch(batch("kept", 1000 + i), null);
        }
        for (int i = 0; i < 64; i++) {
            byWatermark.setExpiryClock(2_000 + i); // the watermark moves with real time, not with one wild event
            for (WideDeepModel m : new WideDeepModel[] {byWatermark, byEventTime}) {
                m.trainBatch(batch(i == 0 ? "wild" : "hot", i == 0 ? year2999 : 2_000 + i), null);
            }
        }
        long kept = Hashing.string("kept");
        assertTrue(byWatermark.embeddings[0].index.get(kept) >= 0, "row used 1 s before the watermark survives");
        assertEquals(-1, byEventTime.embeddings[0].index.get(kept),
                "measured against the largest event time, one event dated 2999 expires it");
    }

    @Test
    void admissionCountsLiveInFixedMemoryAndOneOffKeysDoNotSaturateThem() {
        AdmissionSketch sketch = new AdmissionSketch();
        for (long k = 0; k < 2_000_000; k++) sketch.add(Hashing.mix(7, k)); // two million one-off keys
        int earlyAdmissions = 0;
        for (long k = 0; k < 1000; k++) {
            if (sketch.add(Hashing.mix(8, k)) >= 3) earlyAdmissions++;
        }
        assertTrue(earlyAdmissions <= 10, earlyAdmissions + " of 1000 new keys looked frequent at first sight");
        long key = Hashing.mix(9, 1);
        assertEquals(1, sketch.add(key) - sketch.estimate(key) + 1);
        sketch.add(key);
        assertTrue(sketch.add(key) >= 3, "never admitted late");
        AdmissionSketch copy = new AdmissionSketch();
        copy.restore(sketch.cells());
        assertEquals(sketch.estimate(key), copy.estimate(key));
        assertEquals(java.util.Arrays.toString(sketch.cells()), java.util.Arrays.toString(copy.cells()));
    }
}
