package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A full snapshot followed by checkpoint increments gives the model bit for bit, slot layout
 * included, through admissions, expiry (freed slots reused) and the admission sketch; and an
 * increment's size follows the rows touched, not the model.
 */
class IncrementalCheckpointTest {
    private static final FeatureSpec SPEC = FeatureSpec.parse("""
            {"fields": [{"name": "item", "source": "item_id"}, {"name": "ctx", "source": "context.c"},
                        {"name": "user", "source": "user_id"}],
             "wide": {"fields": ["item", "ctx", "user"], "crosses": [["item", "ctx"]], "expire_after_ms": 20000},
             "deep": {"fields": ["item", "ctx", "user"], "embedding_dim": 4, "hidden": [8], "min_count": 2,
                      "expire_after_ms": 20000},
             "training": {"batch_size": 8}}""");

    /** Batches whose items follow a Zipf-like law: rare items go unseen long enough to expire. */
    private static List<ExampleBatch> batches(int count, long seed, long startTime) {
        FeatureExtractor fx = new FeatureExtractor(SPEC);
        Random rnd = new Random(seed);
        List<ExampleBatch> out = new ArrayList<>();
        long t = startTime;
        for (int b = 0; b < count; b++) {
            ExampleBatch batch = fx.newBatch(8);
            for (int r = 0; r < 8; r++) {
                int item = (int) Math.floor(Math.pow(2000, rnd.nextDouble()));
                Map<String, String> ctx = new HashMap<>(Map.of("c", "c" + rnd.nextInt(5)));
                ClickEvent e = ClickEvent.newBuilder().setEventId("e").setEventType(EventType.IMPRESSION)
                        .setImpressionId("e").setUserId("u" + rnd.nextInt(300)).setItemId("i" + item)
                        .setEventTime(t += 100).setContext(ctx).setNumeric(new HashMap<>()).setLabel(item % 3 == 0 ? 1 : 0).build();
                fx.extract(e, null, e.getLabel(), batch);
            }
            out.add(batch);
        }
        return out;
    }

    private static void train(WideDeepModel m, List<ExampleBatch> batches) {
        float[] p = new float[8];
        for (ExampleBatch b : batches) m.trainBatch(b, p);
    }

    @Test
    void baseAndIncrementsRestoreTheModelBitForBit() throws Exception {
        WideDeepModel m = WideDeepModel.create(SPEC);
        train(m, batches(100, 1, 0));
        byte[] base = ModelCodec.encodeFull(m, true);
        ModelCodec.startIncrements(m);
        List<byte[]> increments = new ArrayList<>();
        int freedSeen = 0;
        for (int k = 0; k < 8; k++) {
            train(m, batches(40, 10 + k, 80_000 + k * 32_000L));
            freedSeen = Math.max(freedSeen, m.embeddings[0].index.freeSlots().size() + m.wide.index.freeSlots().size());
            increments.add(ModelCodec.encodeIncrement(m));
        }
        assertTrue(freedSeen > 0, "expiry freed slots during the increments (and new rows reused them)");

        WideDeepModel restored = ModelCodec.decodeFull(base);
        for (byte[] inc : increments) ModelCodec.applyDelta(restored, inc);
        assertArrayEquals(ModelCodec.encodeFull(m, true), ModelCodec.encodeFull(restored, true),
                "base + increments = the model, optimizer state and slot layout included");

        // and both go on identically: the restored model assigns new slots as the original does
        List<ExampleBatch> more = batches(70, 99, 400_000);
        train(m, more);
        train(restored, more);
        assertArrayEquals(ModelCodec.encodeFull(m, true), ModelCodec.encodeFull(restored, true));
    }

    @Test
    void anIncrementCostsWhatChangedNotTheModel() {
        WideDeepModel m = WideDeepModel.create(SPEC.withBatchSize(8));
        train(m, batches(2_000, 5, 0)); // a model with many rows
        byte[] full = ModelCodec.encodeFull(m, true);
        ModelCodec.startIncrements(m);
        train(m, batches(5, 6, 400_000));
        byte[] small = ModelCodec.encodeIncrement(m);
        train(m, batches(50, 7, 401_000));
        byte[] larger = ModelCodec.encodeIncrement(m);
        assertTrue(small.length < full.length / 4, "5 batches: " + small.length + " bytes, the model " + full.length);
        assertTrue(larger.length > small.length, "50 batches touch more rows than 5");
        byte[] none = ModelCodec.encodeIncrement(m);
        assertTrue(none.length < small.length, "nothing trained: dense and scalar state only");
    }

    @Test
    void incrementsNeedTheirStartAndATrainableModel() throws Exception {
        WideDeepModel m = WideDeepModel.create(SPEC);
        train(m, batches(3, 1, 0));
        assertThrows(IllegalStateException.class, () -> ModelCodec.encodeIncrement(m));
        ModelCodec.startIncrements(m);
        train(m, batches(3, 2, 1000));
        byte[] inc = ModelCodec.encodeIncrement(m);
        WideDeepModel serving = ModelCodec.decodeFull(ModelCodec.encodeFull(m, false));
        assertThrows(ModelFormatException.class, () -> ModelCodec.applyDelta(serving, inc));
    }
}
