package io.widedeep.flink.records;

import io.widedeep.core.features.FeatureRow;

/**
 * One global training step, as the {@code StepAssigner} hands it to every trainer subtask: the
 * batch's rows in the order all trainers train them, the watermark they expire rows against, and
 * whether the model is to be published after it or the input has ended, and when (wall clock
 * ms) the step was cut. A step with no rows only publishes. A Flink POJO.
 */
public final class TrainingStep {
    public long step;
    public long watermark;
    public FeatureRow[] rows;
    public boolean publish;
    public boolean end;
    public long cutAt;

    public TrainingStep() {}

    public TrainingStep(long step, long watermark, FeatureRow[] rows, boolean publish, boolean end, long cutAt) {
        this.step = step;
        this.watermark = watermark;
        this.rows = rows;
        this.publish = publish;
        this.end = end;
        this.cutAt = cutAt;
    }
}
