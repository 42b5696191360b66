package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.UserHistory;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A new model on a sparse stream must never do worse than the running-CTR counter (each example
 * predicted as (clicks before it + 0.5) / (examples before it + 1)): the base-rate intercept and the
 * warm-up steps make it start as that counter, and its features must only add what they know.
 */
class ColdStartTest {
    static final String SPEC = """
            {
              "fields": [
                {"name": "user", "source": "user_id"},
                {"name": "item", "source": "item_id"},
                {"name": "position", "source": "context.position"}
              ],
              "wide": {"fields": ["user", "item", "position"], "crosses": [["item", "position"]]},
              "deep": {"fields": ["user", "item", "position"], "embedding_dim": 8, "hidden": [32, 16]},
              "ftrl": {"alpha": 0.02, "l1": 2.0},
              "deep_optimizer": {"learning_rate": 0.005},
              "training": {"batch_size": 32, "seed": 3}
            }""";

    /** Progressive-validation predictions and labels over a 0.6 %-CTR stream with a position effect. */
    static double[] run(int n, long seed) {
        return run(n, seed, SPEC, new double[] {0.010, 0.006, 0.003});
    }

    /** PV log loss and the running counter's over a stream with the given click-through rate per position. */
    static double[] run(int n, long seed, String spec, double[] positionCtr) {
        WideDeepModel m = WideDeepModel.create(FeatureSpec.parse(spec));
        OnlineLearner learner = new OnlineLearner(m, 0);
        byte[] labels = new byte[n];
        int[] seen = {0};
        learner.setListener((row, p, y) -> labels[seen[0]++] = (byte) (y >= 0.5f ? 1 : 0));
        Random rnd = new Random(seed);
        for (int e = 0; e < n; e++) {
            int position = rnd.nextInt(3);
            int label = rnd.nextDouble() < positionCtr[position] ? 1 : 0;
            Map<String, String> ctx = new HashMap<>();
            ctx.put("position", "p" + position);
            ClickEvent ev = ClickEvent.newBuilder().setEventId("e" + e).setEventType(EventType.IMPRESSION)
                    .setImpressionId("e" + e).setUserId("u" + rnd.nextInt(5000)).setItemId("i" + rnd.nextInt(80))
                    .setEventTime(e).setContext(ctx).setNumeric(new HashMap<>()).setLabel(label).build();
            learner.add(ev, (UserHistory) null, label);
        }
        learner.flush();
        return new double[] {learner.metrics().logLoss(), ProgressiveValidation.runningCtrLogLoss(labels, 0, n)};
    }

    @Test
    void neverWorseThanTheRunningCtrOnALowCtrStream() {
        for (long seed = 1; seed <= 3; seed++) {
            double[] r = run(30_000, seed);
            String msg = String.format("seed %d: PV logloss %.5f, running CTR %.5f", seed, r[0], r[1]);
            System.out.println(msg);
            assertTrue(r[0] <= r[1], msg);
        }
    }

    @Test
    void whereTheFeaturesAreNoiseTheCounterMixtureKeepsTheModelAtTheCounter() {
        // clicks independent of every feature: whatever the model learns from them is noise
        double[] noise = {0.01, 0.01, 0.01};
        String eager = SPEC.replace("\"alpha\": 0.02, \"l1\": 2.0", "\"alpha\": 0.5, \"l1\": 0.0")
                .replace("\"learning_rate\": 0.005", "\"learning_rate\": 0.1");
        double[] alone = run(20_000, 4, eager.replace("\"seed\": 3", "\"seed\": 3, \"counter_prior\": 0"), noise);
        double[] mixed = run(20_000, 4, eager, noise);
        String msg = String.format("noise stream: model alone %.6f, mixed with the counter %.6f, running CTR %.6f",
                alone[0], mixed[0], mixed[1]);
        System.out.println(msg);
        assertTrue(alone[0] > alone[1], "an eager model alone fits the noise and loses: " + msg);
        // the aggregating algorithm's bound: at most ln(1 / 0.99) nats in total behind the counter
        assertTrue(mixed[0] <= mixed[1] + Math.log(1 / 0.99) / 20_000 + 1e-7, msg);
    }

    @Test
    void theMixtureMovesItsWeightByTheExpertsLogLosses() {
        WideDeepModel m = WideDeepModel.create(FeatureSpec.parse(SPEC));
        CounterMixture mix = m.mixture;
        BaseRate counter = m.baseRate; // the counter expert is the model's intercept counter
        assertEquals(Math.log(99), mix.logOdds, 1e-12, "prior 0.99 for the counter");
        double pc = counter.ctr(); // the prior's 0.5 before any example
        assertEquals(0.5, pc, 1e-12);
        assertEquals(0.99 * 0.5 + 0.01 * 0.2, mix.mix(0.2f, pc), 1e-6);
        mix.observe(0.2f, pc, 0f); // the model said 0.2, the counter 0.5, no click
        counter.add(0f);
        assertEquals(Math.log(99) + (-Math.log(0.8)) - (-Math.log(0.5)), mix.logOdds, 1e-6);
        assertEquals(0.5 / 2, counter.ctr(), 1e-6, "(0 clicks + 0.5) / (1 example + 1)");
        counter.addLateClick();
        assertEquals(1.5 / 2, counter.ctr(), 1e-6, "a late click counts, no new example");
    }

    @Test
    void theSecondExampleOfANewModelIsScoredAfterTheFirstWasLearned() {
        for (int first = 0; first <= 1; first++) {
            WideDeepModel m = WideDeepModel.create(FeatureSpec.parse(SPEC));
            OnlineLearner learner = new OnlineLearner(m, 0);
            float[] pv = new float[3];
            int[] k = {0};
            learner.setListener((row, p, y) -> pv[k[0]++] = p);
            for (int e = 0; e < 3; e++) {
                int label = e == 0 ? first : 0;
                ClickEvent ev = ClickEvent.newBuilder().setEventId("e" + e).setEventType(EventType.IMPRESSION)
                        .setImpressionId("e" + e).setUserId("u" + e).setItemId("i" + e).setEventTime(e)
                        .setContext(Map.of("position", "p" + e)).setNumeric(new HashMap<>()).setLabel(label).build();
                learner.add(ev, (UserHistory) null, label);
            }
            learner.flush();
            // the prior (0.5 worth one example), then the counter after one example: 1.5/2 or 0.5/2;
            // the unseen features of examples 1 and 2 carry no weight yet
            assertEquals(0.5f, pv[0], 0.005f); // plus the random deep part's small initial output
            assertEquals(first == 1 ? 0.75f : 0.25f, pv[1], 0.02f, "after a first " + (first == 1 ? "click" : "non-click"));
        }
    }

    @Test
    void theBaseRateIsADecayedBetaPosteriorMean() {
        BaseRate r = new BaseRate(0.1, 10, 2);
        assertEquals(0.1, r.ctr(), 1e-15);
        r.add(1f);
        r.add(0f);
        // decay per example 2^(-1/2): the click has weight 0.5^(1/2), two examples weigh 1 + 0.5^(1/2)
        double d = Math.sqrt(0.5);
        assertEquals((d + 1.0) / (1 + d + 10), r.ctr(), 1e-12);
        assertEquals(Math.log(r.ctr() / (1 - r.ctr())), r.logOdds(), 1e-12);
    }
}
