package io.widedeep.flink.functions;

import io.widedeep.flink.records.TrainingStep;
import org.apache.flink.runtime.checkpoint.CheckpointOptions;
import org.apache.flink.runtime.state.CheckpointStreamFactory;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFutures;
import org.apache.flink.streaming.api.operators.ProcessOperator;

/**
 * Runs an {@link OnlineTrainer} and tells it, before each snapshot, whether the snapshot is a
 * savepoint (a function cannot see that): savepoints carry the whole model so that they stand on
 * their own, checkpoints only what changed.
 */
public final class TrainerOperator extends ProcessOperator<TrainingStep, byte[]> {
    public TrainerOperator(OnlineTrainer trainer) {
        super(trainer);
    }

    @Override
    public OperatorSnapshotFutures snapshotState(long checkpointId, long timestamp, CheckpointOptions options,
                                                 CheckpointStreamFactory factory) throws Exception {
        ((OnlineTrainer) getUserFunction()).nextSnapshotIsSavepoint(options.getCheckpointType().isSavepoint());
        return super.snapshotState(checkpointId, timestamp, options, factory);
    }
}
