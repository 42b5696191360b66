package io.widedeep.flink.functions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.metrics.FreshnessBreakdown;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.ModelReplica;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateAssembler;
import io.widedeep.flink.records.PublishPolicy;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ModelUpdateChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.junit.jupiter.api.Test;

/**
 * A periodic full snapshot is encoded off the training thread: it goes out once encoded, after the
 * delta of its own version, followed by the deltas published meanwhile; a reader starting at it ends
 * where one that read everything does.
 */
class ModelPublisherTest {
    private static final byte[] BREAKDOWN = new FreshnessBreakdown().encode();

    @Test
    void aSnapshotEncodedMeanwhileGoesOutLaterFollowedByTheDeltasPublishedMeanwhile() throws Exception {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC);
        WideDeepModel model = WideDeepModel.create(spec);
        ProgressiveValidation pv = new ProgressiveValidation(1000);
        ExecutorService encoder = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        encoder.submit(() -> {
            release.await(); // the encoder is busy until released: the snapshot waits behind this
            return null;
        });
        List<byte[]> out = new ArrayList<>();
        ListCollector<byte[]> collector = new ListCollector<>(out);
        PublishPolicy policy = new PublishPolicy(100, Long.MAX_VALUE, 1000, 60_000, 1 << 20, null, 0);
        try (ModelPublisher publisher = new ModelPublisher(policy, 7, encoder)) {
            publisher.publish(collector, model, pv, 0, BREAKDOWN, true, 0); // the epoch opens: version 1, full, in line
            long now = 0;
            for (int v = 2; v <= 4; v++) {
                train(model, v);
                publisher.publish(collector, model, pv, 0, BREAKDOWN, false, now += 1000);
            }
            train(model, 5);
            publisher.publish(collector, model, pv, 0, BREAKDOWN, false, now = 61_000); // version 5: its full snapshot is due
            byte[] atFive = ModelCodec.encodeFull(model, false);
            for (int v = 6; v <= 7; v++) {
                train(model, v);
                publisher.publish(collector, model, pv, 0, BREAKDOWN, false, now += 100);
                publisher.emitFinished(collector, false);
            }
            List<ModelUpdate> before = decode(out);
            assertEquals(7, before.size(), "the opening snapshot and six deltas; version 5's snapshot is still being encoded");
            assertTrue(before.stream().skip(1).noneMatch(ModelUpdate::full));

            release.countDown();
            publisher.emitFinished(collector, true);
            List<ModelUpdate> all = decode(out);
            assertEquals(10, all.size());
            ModelUpdate snapshot = all.get(7);
            assertTrue(snapshot.full() && snapshot.version() == 5 && snapshot.epoch() == 7, "version 5's snapshot, after delta 7");
            assertArrayEquals(atFive, snapshot.payload(), "the model as it was at version 5, though it trained on since");
            for (int i = 8; i <= 9; i++) {
                ModelUpdate again = all.get(i), first = all.get(i - 3);
                assertFalse(again.full());
                assertEquals(first.version(), again.version());
                assertArrayEquals(first.payload(), again.payload());
                assertEquals(0, FreshnessBreakdown.decode(again.freshness()).examples());
            }
            ModelReplica everything = replay(all), late = replay(all.subList(7, all.size()));
            assertEquals(7, late.version());
            assertEquals(ModelCodec.weightsDigest(everything.model()), ModelCodec.weightsDigest(late.model()),
                    "a reader starting at the snapshot ends with the model of one that read every update");
        }
    }

    private static void train(WideDeepModel m, long seed) {
        m.trainBatch(TestData.batch(m.spec(), 16, seed * 10), null);
    }

    private static List<ModelUpdate> decode(List<byte[]> records) throws Exception {
        AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
        UpdateAssembler assembler = new UpdateAssembler();
        List<ModelUpdate> updates = new ArrayList<>();
        for (byte[] r : records) {
            ModelUpdate u = assembler.accept(serde.decode(r));
            if (u != null) updates.add(u);
        }
        return updates;
    }

    private static ModelReplica replay(List<ModelUpdate> updates) {
        ModelReplica r = new ModelReplica();
        for (ModelUpdate u : updates) r.apply(u);
        return r;
    }
}
