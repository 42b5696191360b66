package io.widedeep.flink.testing;

import io.widedeep.flink.records.TrainingStep;
import java.util.List;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Fails the job on the way to the trainers: attempt i fails at the first training step after
 * {@code failAfter[i]} examples have gone to training and the attempt has completed a checkpoint
 * (so each restore resumes a checkpointed model however fast the machine), or at the end of the
 * input at the latest (so a run fails exactly as often as asked). The examples count is operator
 * state, so after a restore it counts from the checkpointed model's examples, as the model does.
 */
public final class StepFailures extends RichMapFunction<TrainingStep, TrainingStep>
        implements CheckpointedFunction, CheckpointListener {
    private final long[] failAfter;
    private transient ListState<Long> countState;
    private transient long examples;
    private transient boolean checkpointed;

    private StepFailures(long... failAfter) {
        this.failAfter = failAfter.clone();
    }

    /** {@code steps} with failures after these example counts, one per attempt (increasing). */
    public static DataStream<TrainingStep> after(DataStream<TrainingStep> steps, long... failAfter) {
        for (int i = 1; i < failAfter.length; i++) {
            if (failAfter[i] <= failAfter[i - 1]) throw new IllegalArgumentException("counts must increase");
        }
        return steps.map(new StepFailures(failAfter)).name("inject failures").setParallelism(1).setMaxParallelism(1);
    }

    @Override
    public TrainingStep map(TrainingStep step) {
        int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        boolean due = step.end || examples >= (attempt < failAfter.length ? failAfter[attempt] : Long.MAX_VALUE);
        if (attempt < failAfter.length && (checkpointed || step.end) && due) {
            throw new IllegalStateException("injected failure " + attempt + " after " + examples + " examples");
        }
        examples += step.rows.length;
        return step;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        countState.update(List.of(examples));
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        countState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("examples", Long.class));
        for (Long c : countState.get()) examples = c;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        checkpointed = true;
    }
}
