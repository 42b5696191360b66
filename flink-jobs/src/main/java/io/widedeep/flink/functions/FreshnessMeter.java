package io.widedeep.flink.functions;

import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.metrics.FreshnessBreakdown;
import io.widedeep.core.metrics.FreshnessBreakdown.Stage;
import io.widedeep.core.metrics.LatencyHistogram;
import io.widedeep.flink.records.TrainingStep;
import java.util.Arrays;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.metrics.MetricGroup;

/**
 * The publishing trainer's share of {@link FreshnessBreakdown}: each trained example's stages up to
 * the update that first contains it. The rows' stamps ({@link FeatureRow#kafkaTime} ...) give the
 * stages before training; the example waits here, as its Kafka timestamp and its step's training
 * time, until {@link #published} learns when its update was cut. Each update carries the breakdown
 * of its own examples; the running total is exported as Flink histograms (group {@code freshness}).
 *
 * <p>Memory is bounded: past {@link #MAX_WAITING} examples waiting for an update (one held back
 * for minutes by the quality gate), further ones are not measured, and counted as such.
 */
final class FreshnessMeter {
    static final int MAX_WAITING = 1 << 20;

    private final FreshnessBreakdown sinceUpdate = new FreshnessBreakdown();
    private final FreshnessBreakdown total = new FreshnessBreakdown(); // read by metric reporters: guarded by itself
    private long[] kafkaTimes = new long[1024];
    private int waiting;
    private long[] stepTrainedAt = new long[64];
    private int[] stepRows = new int[64];
    private int steps;
    private long unmeasured;

    /** A step was trained at {@code trainedAt} (wall-clock ms). */
    void trained(TrainingStep step, long trainedAt) {
        int measured = 0;
        for (FeatureRow r : step.rows) {
            if (r.kafkaTime == 0) continue; // a row from a source that does not stamp (tests, old state)
            if (waiting == MAX_WAITING) {
                unmeasured++;
                continue;
            }
            sinceUpdate.stage(Stage.SOURCE).record(r.readAt - r.kafkaTime);
            sinceUpdate.stage(Stage.VALIDATE).record(r.validatedAt - r.readAt);
            sinceUpdate.stage(Stage.JOIN).record(r.labelledAt - r.validatedAt);
            sinceUpdate.stage(Stage.BATCH_WAIT).record(step.cutAt - r.labelledAt);
            if (waiting == kafkaTimes.length) kafkaTimes = Arrays.copyOf(kafkaTimes, waiting * 2);
            kafkaTimes[waiting++] = r.kafkaTime;
            measured++;
        }
        if (measured == 0) return;
        sinceUpdate.stage(Stage.TRAIN).record(trainedAt - step.cutAt, measured);
        if (steps == stepRows.length) {
            stepRows = Arrays.copyOf(stepRows, steps * 2);
            stepTrainedAt = Arrays.copyOf(stepTrainedAt, steps * 2);
        }
        stepTrainedAt[steps] = trainedAt;
        stepRows[steps++] = measured;
    }

    /** An update was cut at {@code cutAt}: the breakdown of the examples waiting for it, for the update to carry. */
    byte[] published(long cutAt) {
        for (int i = 0; i < steps; i++) sinceUpdate.stage(Stage.PUBLISH_WAIT).record(cutAt - stepTrainedAt[i], stepRows[i]);
        LatencyHistogram toUpdate = sinceUpdate.stage(Stage.EVENT_TO_UPDATE);
        for (int i = 0; i < waiting; i++) toUpdate.record(cutAt - kafkaTimes[i]);
        byte[] encoded = sinceUpdate.encode();
        synchronized (total) {
            total.add(sinceUpdate);
        }
        sinceUpdate.clear();
        waiting = 0;
        steps = 0;
        return encoded;
    }

    /** Examples not measured because too many were waiting for an update. */
    long unmeasured() {
        return unmeasured;
    }

    /** Registers one Flink histogram (ms) per job stage, over everything published since the trainer started. */
    void register(MetricGroup group) {
        MetricGroup g = group.addGroup("freshness");
        for (Stage s : Stage.values()) {
            if (s.jobStage) g.histogram(s.label + "_ms", new StageHistogram(s));
        }
        g.gauge("unmeasured_examples", this::unmeasured);
    }

    /** A read-only view of one stage of the running total. */
    private final class StageHistogram implements Histogram {
        private final Stage stage;

        StageHistogram(Stage stage) {
            this.stage = stage;
        }

        @Override
        public void update(long value) {
            throw new UnsupportedOperationException("recorded by the trainer, not through the metric");
        }

        @Override
        public long getCount() {
            synchronized (total) {
                return total.stage(stage).count();
            }
        }

        @Override
        public HistogramStatistics getStatistics() {
            LatencyHistogram copy = new LatencyHistogram();
            synchronized (total) {
                copy.add(total.stage(stage));
            }
            return new Statistics(copy);
        }
    }

    private static final class Statistics extends HistogramStatistics {
        private final LatencyHistogram h;

        Statistics(LatencyHistogram h) {
            this.h = h;
        }

        @Override
        public double getQuantile(double q) {
            return h.quantile(q);
        }

        @Override
        public long[] getValues() {
            return new long[0]; // bucket counts, not samples
        }

        @Override
        public int size() {
            return (int) Math.min(h.count(), Integer.MAX_VALUE);
        }

        @Override
        public double getMean() {
            return h.mean();
        }

        @Override
        public double getStdDev() {
            return Double.NaN;
        }

        @Override
        public long getMax() {
            return h.max();
        }

        @Override
        public long getMin() {
            return h.quantile(1e-9);
        }
    }
}
