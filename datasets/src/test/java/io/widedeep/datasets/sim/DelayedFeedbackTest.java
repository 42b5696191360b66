package io.widedeep.datasets.sim;

import io.widedeep.core.model.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.features.UserHistory;
import io.widedeep.datasets.sim.ClickDelay;
import io.widedeep.datasets.sim.ClickSimulator;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Late clicks: a stream where 20 % of the clicks come after the attribution window. The examples
 * reach the learner in the order the joiner emits them (a positive at its click, a negative when its
 * window closes, a late click as a correction when it comes); the model must stay calibrated with the
 * correction and is biased low by about the late share without it.
 */
class DelayedFeedbackTest {
    private static final long WINDOW_MS = 30_000;
    private static final long HORIZON_MS = 3_600_000;
    private static final double LATE_SHARE = 0.2;

    /** What the joiner emits for one impression, and when. */
    private record Emitted(long at, long order, FeatureRow row) {}

    /** Calibration on the last quarter of the impressions: mean prediction over mean true click probability. */
    private record Outcome(double calibration, double observedCalibration, double lateShare, long lateClicks) {}

    private static Outcome run(boolean correct, long seed) {
        FeatureSpec spec = FeatureSpec.builtIn("sim");
        FeatureExtractor extractor = new FeatureExtractor(spec);
        ClickSimulator sim = new ClickSimulator(2000, 300, seed, ClickDelay.withLateShare(LATE_SHARE, WINDOW_MS, 1.5));
        int n = 60_000;
        long t0 = 1_700_000_000_000L;
        List<ClickEvent> impressions = new ArrayList<>(n);
        double[] truth = new double[n];
        for (int i = 0; i < n; i++) {
            impressions.add(sim.impression(t0 + 50L * i));
            truth[i] = sim.lastProbability();
        }
        Map<String, Long> clickedAt = new HashMap<>();
        for (ClickEvent c : sim.clicksDue(Long.MAX_VALUE)) clickedAt.put(c.getImpressionId(), c.getEventTime());

        UserHistory none = new UserHistory(spec.historyMaxItems());
        List<Emitted> out = new ArrayList<>();
        Map<FeatureRow, Integer> index = new HashMap<>();
        long late = 0, clicks = 0;
        for (int i = 0; i < n; i++) {
            ClickEvent e = impressions.get(i);
            Long c = clickedAt.get(e.getImpressionId());
            long t = e.getEventTime();
            if (c != null) clicks++;
            if (c != null && c - t <= WINDOW_MS) {
                index.put(emit(out, c, i, extractor.toRow(e, none, 1f)), i);
                continue;
            }
            index.put(emit(out, t + WINDOW_MS, i, extractor.toRow(e, none, 0f)), i);
            if (c != null && c - t <= WINDOW_MS + HORIZON_MS) {
                late++;
                if (correct) {
                    FeatureRow r = extractor.toRow(e, none, 1f);
                    r.lateClick = true;
                    emit(out, c, i, r);
                }
            }
        }
        out.sort(Comparator.comparingLong(Emitted::at).thenComparingLong(Emitted::order));

        WideDeepModel model = WideDeepModel.create(spec);
        OnlineLearner learner = new OnlineLearner(model, 0);
        ExampleBatch batch = extractor.newBatch(spec.batchSize());
        double[] predicted = new double[n];
        FeatureRow[] inBatch = new FeatureRow[spec.batchSize()];
        learner.setListener((row, p, y) -> predicted[index.get(inBatch[row])] = p);
        for (Emitted x : out) {
            inBatch[batch.size()] = x.row();
            batch.add(x.row());
            if (batch.isFull()) {
                learner.train(batch);
                batch.clear();
            }
        }
        learner.train(batch);
        assertEquals(correct ? late : 0, learner.metrics().lateClicks());
        assertEquals(n, learner.metrics().count(), "every impression scored once");

        double p = 0, q = 0;
        int from = n * 3 / 4;
        long clicked = 0;
        for (int i = from; i < n; i++) {
            p += predicted[i];
            q += truth[i];
            if (clickedAt.containsKey(impressions.get(i).getImpressionId())) clicked++;
        }
        return new Outcome(p / q, p / clicked, (double) late / clicks, late);
    }

    private static FeatureRow emit(List<Emitted> out, long at, int order, FeatureRow row) {
        out.add(new Emitted(at, order, row));
        return row;
    }

    @Test
    void lateClicksTrainedAsCorrectionsKeepTheModelCalibrated() {
        Outcome with = run(true, 11);
        Outcome without = run(false, 11);
        System.out.printf("delayed feedback (%.1f %% of clicks late, %d late clicks): calibration with correction %.4f "
                        + "(vs observed CTR %.4f), without %.4f (%.4f)%n", 100 * with.lateShare(), with.lateClicks(),
                with.calibration(), with.observedCalibration(), without.calibration(), without.observedCalibration());
        assertEquals(LATE_SHARE, with.lateShare(), 0.02, "the simulator's late share");
        assertEquals(1.0, with.calibration(), 0.03, "with the correction: mean prediction / true CTR");
        assertTrue(without.calibration() < 0.9, "without it the model is biased low: " + without.calibration());
    }

    @Test
    void theSimulatorsDelayHasTheLateShareItWasBuiltFor() {
        ClickDelay d = ClickDelay.withLateShare(0.2, WINDOW_MS, 1.5);
        assertEquals(0.2, d.shareAfter(WINDOW_MS), 1e-6);
        Random rnd = new Random(5);
        int after = 0, count = 200_000;
        for (int i = 0; i < count; i++) if (d.sample(rnd) > WINDOW_MS) after++;
        assertEquals(0.2, (double) after / count, 0.005);
        assertEquals(0.0034, ClickDelay.REALISTIC.shareAfter(30_000), 0.0005, "the demo's delay: a thin tail past 30 s");
    }
}
