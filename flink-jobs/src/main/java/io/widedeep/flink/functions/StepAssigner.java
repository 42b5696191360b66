package io.widedeep.flink.functions;

import io.widedeep.core.features.FeatureRow;
import io.widedeep.flink.records.PublishPolicy;
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
 * {@code maxWaitMs} (a quiet stream is trained promptly).
 *
 * <p><b>Publishing follows training.</b> A step is marked to be published after it is trained when
 * {@code publish.minIntervalMs} have passed since the last marked step, or when the steps since
 * then hold {@code publish.maxExamples} rows: a quiet stream's every step goes out at once, a busy
 * one's at most every {@code publish.minIntervalMs} (plus when an update grows to its maximum size).
 * Trained rows never wait longer than the interval: if no step comes to carry the mark, a
 * publish-only step does. At the end of a bounded input, an end marker.
 */
public class StepAssigner extends KeyedProcessFunction<Integer, FeatureRow, TrainingStep> implements CheckpointedFunction {
    private static final FeatureRow[] NO_ROWS = new FeatureRow[0];

    private final int batchSize;
    private final long maxWaitMs;
    private final PublishPolicy publish;

    private transient List<FeatureRow> pending;
    private transient ListState<FeatureRow> pendingState;
    private transient long firstPendingAt;
    private transient long lastPublishAt;
    private transient long unpublishedRows;
    private transient long publishTimerAt;
    private transient long steps;
    private transient boolean endTimerSet;

    public StepAssigner(int batchSize, long maxWaitMs, PublishPolicy publish) {
        this.batchSize = batchSize;
        this.maxWaitMs = maxWaitMs;
        this.publish = publish;
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
        if (pending.isEmpty() || firstPendingAt == 0) { // the first row of a step, or rows restored from a checkpoint
            firstPendingAt = now;
            ctx.timerService().registerProcessingTimeTimer(now + maxWaitMs);
        }
        pending.add(row);
        if (pending.size() >= batchSize) cut(ctx, out, false);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<TrainingStep> out) {
        if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            cut(ctx, out, true);
            return;
        }
        if (!pending.isEmpty() && timestamp >= firstPendingAt + maxWaitMs) {
            cut(ctx, out, false);
        }
        if (publishTimerAt != 0 && timestamp >= publishTimerAt) {
            publishTimerAt = 0;
            if (unpublishedRows > 0) send(ctx, out, NO_ROWS, false); // nothing came to carry the mark: publish on its own
        }
    }

    /** Sends the pending rows as a step. */
    private void cut(Context ctx, Collector<TrainingStep> out, boolean end) {
        FeatureRow[] rows = pending.toArray(NO_ROWS);
        pending.clear();
        firstPendingAt = 0;
        send(ctx, out, rows, end);
    }

    private void send(Context ctx, Collector<TrainingStep> out, FeatureRow[] rows, boolean end) {
        long now = ctx.timerService().currentProcessingTime();
        unpublishedRows += rows.length;
        boolean marked = end || now - lastPublishAt >= publish.minIntervalMs() || unpublishedRows >= publish.maxExamples();
        if (marked) {
            lastPublishAt = now;
            unpublishedRows = 0;
        } else if (publishTimerAt == 0) {
            publishTimerAt = lastPublishAt + publish.minIntervalMs();
            ctx.timerService().registerProcessingTimeTimer(publishTimerAt);
        }
        if (rows.length == 0 && !marked) return;
        out.collect(new TrainingStep(steps++, ctx.timerService().currentWatermark(), rows, marked, end, now));
    }
}
