package io.widedeep.flink.functions;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.metrics.QualityGate;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.flink.records.GatePolicy;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's quality gate: shadow-scores every {@code quality.gate.sample}-th batch with the
 * published model before training on it, so that {@link QualityGate} compares candidate and
 * published model on the same examples, and decides whether an update may leave. An update worse by
 * more than the margin is held back (its changes go out with the next one that passes), but never
 * for longer than {@code quality.gate.max.hold.ms}.
 */
final class ShadowGate {
    private static final Logger LOG = LoggerFactory.getLogger(ShadowGate.class);

    private final QualityGate gate;
    private final int sample;
    private final double margin;
    private final boolean publishAfterMaxHold;
    private final float[] shadowPredictions;
    private boolean shadow; // whether the batch in training is also scored by the published model
    private long batchesSeen;
    private WideDeepModel shadowOwner;
    private WideDeepModel.Scratch shadowScratch;
    private Counter heldBack;
    private Counter overrides;

    ShadowGate(GatePolicy p, int batchCapacity) {
        this.gate = new QualityGate(p.window(), p.margin(), p.maxHoldMs());
        this.sample = p.sample();
        this.margin = p.margin();
        this.publishAfterMaxHold = p.publishAfterMaxHold();
        this.shadowPredictions = new float[batchCapacity];
    }

    /** The gate itself, for the trainer's checkpointed state. */
    QualityGate gate() {
        return gate;
    }

    /** An update went out: the gate compares against it from now on. */
    void published() {
        gate.published();
    }

    void register(MetricGroup g) {
        g.gauge("quality_gate_candidate_logloss", gate::candidateLoss);
        g.gauge("quality_gate_published_logloss", gate::publishedLoss);
        g.gauge("quality_gate_holding_ms", () -> gate.holdingMs(System.currentTimeMillis()));
        heldBack = g.counter("updates_held_back");
        overrides = g.counter("quality_gate_overrides");
    }

    /** Before the batch is trained: scores it with {@code published} (null: nothing published yet) if it is sampled. */
    void beforeTraining(ExampleBatch batch, WideDeepModel published) {
        shadow = published != null && batchesSeen++ % sample == 0;
        if (!shadow) return;
        if (shadowOwner != published) {
            shadowOwner = published; // a full update replaced the replica's model
            shadowScratch = shadowOwner.newScratch(batch.capacity());
        }
        shadowOwner.predict(batch, shadowScratch, shadowPredictions);
    }

    /** Every progressive-validation prediction of the batch in training, in batch order. */
    void onPrediction(int row, float p, float label) {
        if (shadow) gate.add(p, shadowPredictions[row], label);
    }

    /** Whether an update may leave now; counts and logs holds and overrides. */
    boolean passes() {
        long now = System.currentTimeMillis();
        switch (gate.decide(now)) {
            case PUBLISH -> {
                return true;
            }
            case HOLD -> {
                heldBack.inc();
                return false;
            }
            default -> {
                overrides.inc();
                LOG.error("quality gate has held updates back for {} ms: candidate PV log loss {} vs published {} "
                                + "on the same {} examples (margin {}); {}", gate.holdingMs(now), gate.candidateLoss(),
                        gate.publishedLoss(), gate.count(), margin, publishAfterMaxHold ? "publishing anyway" : "still holding");
                if (!publishAfterMaxHold) {
                    gate.published(); // report again after another max hold
                    heldBack.inc();
                }
                return publishAfterMaxHold;
            }
        }
    }
}
