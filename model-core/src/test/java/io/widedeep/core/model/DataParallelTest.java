package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.UserHistory;
import io.widedeep.core.parallel.InProcessRendezvous;
import io.widedeep.core.parallel.TcpCollective;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.buffer.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * N ranks that each compute a slice of every batch's MLP step keep one model: the same bits on
 * every rank at every step, and the model one trainer learns from the same batches, up to the
 * rounding of adding the weight gradient's terms in another order.
 */
class DataParallelTest {
    private static final int EVENTS = 6_000;
    private static final int CHECK_EVERY = 500;

    static List<ClickEvent> stream() {
        Random rnd = new Random(3);
        double[] itemEffect = new double[80];
        for (int i = 0; i < itemEffect.length; i++) itemEffect[i] = rnd.nextGaussian();
        List<ClickEvent> events = new ArrayList<>();
        for (int e = 0; e < EVENTS; e++) {
            int item = rnd.nextInt(80), region = rnd.nextInt(15), u = rnd.nextInt(10);
            double logit = -1.5 + itemEffect[item] + ((region + u) % 3 == 0 ? 1.0 : -0.5);
            int label = rnd.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
            Map<String, String> ctx = new HashMap<>();
            ctx.put("region", "r" + region);
            ctx.put("uattr", "u" + u);
            ctx.put("iattr", "a" + item % 7);
            events.add(ClickEvent.newBuilder().setEventId("e" + e).setEventType(EventType.IMPRESSION)
                    .setImpressionId("e" + e).setUserId("x").setItemId("i" + item).setEventTime(e)
                    .setContext(ctx).setNumeric(new HashMap<>()).setLabel(label).build());
        }
        return events;
    }

    /** Trains on the stream; every CHECK_EVERY events records the weights digest. */
    static Result train(FeatureSpec spec, DataType dtype, List<ClickEvent> events, TcpCollective group) {
        return train(spec, dtype, DenseBackend.ND4J, events, group);
    }

    static Result train(FeatureSpec spec, DataType dtype, DenseBackend backend, List<ClickEvent> events, TcpCollective group) {
        WideDeepModel m = WideDeepModel.create(spec, dtype);
        m.useDenseBackend(backend, 0);
        m.setDataParallel(group);
        OnlineLearner learner = new OnlineLearner(m, EVENTS);
        List<String> digests = new ArrayList<>();
        for (int e = 0; e < events.size(); e++) {
            learner.add(events.get(e), (UserHistory) null, events.get(e).getLabel());
            if ((e + 1) % CHECK_EVERY == 0) digests.add(ModelCodec.weightsDigest(m));
        }
        learner.flush();
        return new Result(m, learner.metrics().logLoss(), digests);
    }

    record Result(WideDeepModel model, double pvLogLoss, List<String> digests) {}

    /**
     * In float64 the only difference from one trainer, the order of the gradient's additions, stays
     * at rounding level. (In float32 it is ~1e-7 relative per step, and a step whose rounding moves a
     * ReLU unit or an L1-thresholded weight across zero can grow it: one of the float32 streams tried
     * ended 3.5e-3 apart after 6,000 examples, with the replicas still equal to each other.)
     */


    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2 planted", "3 planted", "4 planted", "3 rich", "5 rich"})
    void ranksHoldOneModelEqualToOneTrainersOnTheSameBatches(String variant) throws Exception {
        int size = Integer.parseInt(variant.split(" ")[0]);
        FeatureSpec spec = FeatureSpec.parse(variant.endsWith("rich") ? TestSpecs.RICH : TestSpecs.PLANTED);
        List<ClickEvent> events = stream();
        Result alone = train(spec, DataType.DOUBLE, events, null);

        TcpCollective[] group = InProcessRendezvous.group(size, 30_000);
        ExecutorService pool = Executors.newFixedThreadPool(size);
        List<Future<Result>> futures = new ArrayList<>();
        try {
            for (TcpCollective c : group) futures.add(pool.submit(() -> train(spec, DataType.DOUBLE, events, c)));
            List<Result> ranks = new ArrayList<>();
            for (Future<Result> f : futures) ranks.add(f.get());
            for (Result r : ranks) {
                assertEquals(ranks.get(0).digests(), r.digests(), "every rank's weights at every check");
                assertEquals(EVENTS / CHECK_EVERY, r.digests().size());
            }
            WideDeepModel m = ranks.get(0).model();
            assertEquals(alone.model().trainedExamples(), m.trainedExamples());
            assertTrue(group[0].stats().calls > 0, "the ranks exchanged");
            double lossError = Math.abs(ranks.get(0).pvLogLoss() - alone.pvLogLoss()) / alone.pvLogLoss();
            assertTrue(lossError < 1e-12, "PV log loss " + ranks.get(0).pvLogLoss() + " vs " + alone.pvLogLoss());
            double weightError = ModelWeights.relativeDistance(m, alone.model());
            assertTrue(weightError < 1e-12, "weights differ by " + weightError + " (relative L2)");
        } finally {
            pool.shutdownNow();
            for (TcpCollective c : group) c.close();
        }
    }

    /** N trainers whose MLP runs on libtorch: one model, equal to one libtorch trainer's. */
    @Test
    void torchRanksHoldOneModelEqualToOneTorchTrainer() throws Exception {
        FeatureSpec spec = FeatureSpec.parse(TestSpecs.RICH);
        List<ClickEvent> events = stream();
        Result alone = train(spec, DataType.DOUBLE, DenseBackend.TORCH_CPU, events, null);
        TcpCollective[] group = InProcessRendezvous.group(3, 30_000);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (TcpCollective c : group) futures.add(pool.submit(() -> train(spec, DataType.DOUBLE, DenseBackend.TORCH_CPU, events, c)));
            Result first = futures.get(0).get();
            for (Future<Result> f : futures) assertEquals(first.digests(), f.get().digests(), "every rank's weights at every check");
            assertEquals(DenseBackend.TORCH_CPU, first.model().denseBackend());
            double weightError = ModelWeights.relativeDistance(first.model(), alone.model());
            assertTrue(weightError < 1e-12, "weights differ by " + weightError + " (relative L2)");
            assertTrue(ModelWeights.relativeDistance(first.model(), train(spec, DataType.DOUBLE, events, null).model()) < 1e-9,
                    "and ND4J's single trainer agrees to rounding");
        } finally {
            pool.shutdownNow();
            for (TcpCollective c : group) c.close();
        }
    }

    /** In float32, the precision the job trains in, the ranks are still one model bit for bit. */
    @Test
    void float32RanksStayBitIdentical() throws Exception {
        FeatureSpec spec = FeatureSpec.parse(TestSpecs.PLANTED);
        List<ClickEvent> events = stream();
        TcpCollective[] group = InProcessRendezvous.group(3, 30_000);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (TcpCollective c : group) futures.add(pool.submit(() -> train(spec, DataType.FLOAT, events, c)));
            List<String> first = futures.get(0).get().digests();
            for (Future<Result> f : futures) assertEquals(first, f.get().digests());
            assertEquals(EVENTS / CHECK_EVERY, first.stream().distinct().count(), "the model moved between checks");
        } finally {
            pool.shutdownNow();
            for (TcpCollective c : group) c.close();
        }
    }
}
