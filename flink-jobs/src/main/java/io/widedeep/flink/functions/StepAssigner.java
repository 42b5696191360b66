package io.widedeep.flink.functions;

import io.widedeep.core.features.FeatureRow;
import io.widedeep.flink.records.TrainingStep;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Cuts the stream of labelled rows into global training steps (parallelism 1), which every trainer
 * subtask receives whole and in the same order. Because a step leaves in one piece, a checkpoint
 * barrier reaches every trainer after the same step: the trainers' checkpointed models are one
 * model. The rows of an unfinished step wait in this operator's state, not in a trainer's.
 *
 * <p>A step holds {@code batch_size} rows, or fewer when its first row has waited
 * {@code maxWaitMs} (a quiet stream is trained promptly). Every {@code publishIntervalMs} it sends
 * a publish tick, so the trainers publish (and forget what they published) at the same step; at
 * the end of a bounded input, an end marker.
 */
public class StepAssigner extends KeyedProcessFunction<Integer, FeatureRow, TrainingStep> implements CheckpointedFunction {
    private final int batchSize;
    private final long maxWaitMs;
    private final long publishIntervalMs;

    private transient List<FeatureRow> pending;
    private transient ListState<FeatureRow> pendingState;
    private transient long firstPendingAt;
    private transient long nextPublishAt;
    private transient long steps;
    private transient boolean endTimerSet;

    public StepAssigner(int batchSize, long maxWaitMs, long publishIntervalMs) {
        this.batchSize = batchSize;
        this.maxWaitMs = maxWaitMs;
        this.publishIntervalMs = publishIntervalMs;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        pendingState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("pending-rows", FeatureRow.class));
        pending = new ArrayList<>(batchSize);
        for (FeatureRow r : pendingState.get()) pending.add(r);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        pendingState.update(pending);
    }

    @Override
    public void processElement(FeatureRow row, Context ctx, Collector<TrainingStep> out) {
        long now = ctx.timerService().currentProcessingTime();
        if (!endTimerSet) {
            ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE); // fires only when a bounded input ends
            endTimerSet = true;
        }
        if (nextPublishAt == 0) {
            nextPublishAt = now + publishIntervalMs;
            ctx.timerService().registerProcessingTimeTimer(nextPublishAt);
        }
        if (pending.isEmpty() || firstPendingAt == 0) { // the first row of a step, or rows restored from a checkpoint
            firstPendingAt = now;
            if (now + maxWaitMs < nextPublishAt) ctx.timerService().registerProcessingTimeTimer(now + maxWaitMs);
        }
        pending.add(row);
        if (pending.size() >= batchSize) emit(ctx, out, false, false);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<TrainingStep> out) {
        if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            emit(ctx, out, true, true);
            return;
        }
        if (timestamp >= nextPublishAt) {
            emit(ctx, out, true, false);
            nextPublishAt = ctx.timerService().currentProcessingTime() + publishIntervalMs;
            ctx.timerService().registerProcessingTimeTimer(nextPublishAt);
        } else if (!pending.isEmpty() && timestamp >= firstPendingAt + maxWaitMs) {
            emit(ctx, out, false, false);
        }
    }

    private void emit(Context ctx, Collector<TrainingStep> out, boolean publish, boolean end) {
        if (pending.isEmpty() && !publish) return;
        FeatureRow[] rows = pending.toArray(new FeatureRow[0]);
        pending.clear();
        out.collect(new TrainingStep(steps++, ctx.timerService().currentWatermark(), rows, publish, end));
    }
}
