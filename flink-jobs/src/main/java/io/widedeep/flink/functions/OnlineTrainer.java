package io.widedeep.flink.functions;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.model.DenseBackend;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelFormatException;
import io.widedeep.core.model.OnlineLearner;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.records.TrainingStep;
import java.io.IOException;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trainer subtask: trains the model-core learner on the global steps the {@link StepAssigner}
 * sends to every trainer and publishes what it learned.
 *
 * <p><b>N trainers, one model.</b> With {@code trainer.parallelism} N &gt; 1 the subtasks form a
 * {@link TrainerGroup} (addresses exchanged through the checkpoint directory) and each
 * computes 1/N of every step's MLP forward and backward pass; the sparse part runs on every
 * subtask over the whole step (see {@code DataParallelMlp}). Every subtask therefore holds the same
 * model, bit for bit; subtask 0 (rank 0) publishes and checkpoints it, and a restore gives every
 * subtask rank 0's copy. A peer that stalls makes the others time out and the job restart.
 *
 * <p><b>Exactly once.</b> The model with its optimizer state is checkpointed with the Kafka offsets
 * it corresponds to ({@link ModelCheckpoints}: a base and increments, or the whole model in a
 * savepoint): steps arrive whole, so a checkpoint barrier finds every trainer between the same two
 * steps (this needs aligned checkpoints; the job refuses unaligned ones).
 * A restored model must have been trained with the job's {@code --spec}; otherwise the job stops
 * without restarts and says so.
 *
 * <p><b>Publishing.</b> After each step the step assigner marked for publishing (see
 * {@link StepAssigner}: publishing follows training, at most every {@code publish.min.interval.ms})
 * rank 0 hands the model to its {@link ModelPublisher} (deltas, periodic full snapshots encoded off
 * this thread, a new epoch at every start), with the {@link FreshnessMeter} breakdown of the examples the update is the first
 * to contain, unless its {@link ShadowGate} holds the update back. A model with non-finite
 * predictions or dense weights is never published.
 *
 * <p><b>Time.</b> Expiry of sparse rows follows the watermark, not the largest event time seen.
 */
public class OnlineTrainer extends ProcessFunction<TrainingStep, byte[]>
        implements CheckpointedFunction, CheckpointListener {
    private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainer.class);

    private final JobOptions options;

    private transient WideDeepModel model;
    private transient ExampleBatch batch;
    private transient OnlineLearner learner;
    private transient ProgressiveValidation pv;
    private transient ShadowGate gate;
    private transient ModelPublisher publisher;
    private transient ModelCheckpoints checkpoints;
    private transient ListState<byte[]> publisherState;
    private transient long newestLabel; // event time of the newest click or label trained on
    private transient int rank;
    private transient TrainerGroup group; // null: the only trainer
    private transient FreshnessMeter freshness;
    private transient boolean nonFinite;
    private transient Counter publishedCount;
    private transient Counter refusedNonFinite;

    public OnlineTrainer(JobOptions options) {
        this.options = options;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        long startedAt = System.currentTimeMillis();
        long started = System.nanoTime();
        // Union state: rank 0 writes the one model, and a restore hands it to every trainer (any N).
        checkpoints = new ModelCheckpoints(ctx.getOperatorStateStore(), options.incrementalCheckpoints,
                options.checkpointDir, getRuntimeContext().getJobInfo().getJobId().toString(), precision());
        publisherState = ctx.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("replicated-publisher", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        FeatureSpec spec = options.spec();
        long restoredEpoch = Long.MIN_VALUE;
        pv = new ProgressiveValidation(options.gate.window());
        gate = new ShadowGate(options.gate, spec.batchSize());
        if (ctx.isRestored()) {
            model = restoreModel();
            if (model == null) {
                throw new SuppressRestartsException(new IllegalStateException("the checkpoint holds no trainer model in "
                        + "this version's layout: it was written by an earlier version. Start a new "
                        + "model: ./widedeep train --fresh (local), or flink run without -s (cluster)"));
            }
            requireSameSpec(model.spec(), spec);
            for (byte[] p : publisherState.get()) {
                restoredEpoch = PublisherState.read(p, pv, gate.gate());
            }
            LOG.info("restored model: {} examples trained, epoch {}, {} paired gate examples, in {} ms",
                    model.trainedExamples(), restoredEpoch, gate.gate().count(), (System.nanoTime() - started) / 1_000_000);
        } else {
            model = WideDeepModel.create(spec, precision());
            checkpoints.startFresh();
        }
        // A new epoch at every start: larger than the restored one and than any earlier run's.
        publisher = new ModelPublisher(options.publish, Math.max(startedAt, restoredEpoch + 1));
        batch = new FeatureExtractor(model.spec()).newBatch(model.spec().batchSize());
        learner = new OnlineLearner(model, pv);
        learner.setListener(this::onPrediction);
    }

    private DataType precision() {
        return options.trainers.float64() ? DataType.DOUBLE : DataType.FLOAT;
    }

    /**
     * The checkpointed model; a model this version cannot read (written under other spec defaults, or
     * damaged) fails the job once with the remedy instead of restarting it for ever on the same files.
     */
    private WideDeepModel restoreModel() throws Exception {
        try {
            return checkpoints.restore();
        } catch (Exception e) {
            if (!(e instanceof ModelFormatException || e.getCause() instanceof ModelFormatException)) throw e;
            throw new SuppressRestartsException(new IllegalStateException(e.getMessage() + ". Start a new model: "
                    + "./widedeep train --fresh (local), flink run without -s and with a new checkpoint.dir (cluster), "
                    + "or remove the demo's runs/demo/checkpoints", e));
        }
    }

    /** A checkpointed model keeps its features: a different spec would silently mis-read every weight. */
    private static void requireSameSpec(FeatureSpec restored, FeatureSpec requested) {
        if (restored.fingerprint() == requested.fingerprint()) return;
        throw new SuppressRestartsException(new IllegalStateException(String.format(
                "the checkpoint holds a model trained with spec %016x (fields %s) but --spec is %016x (fields %s). "
                        + "Restart with the spec the model was trained with, or start a new model: "
                        + "./widedeep train --fresh (local), or flink run without -s and with a new checkpoint.dir (cluster)",
                restored.fingerprint(), fieldNames(restored), requested.fingerprint(), fieldNames(requested))));
    }

    private static List<String> fieldNames(FeatureSpec s) {
        return s.fields().stream().map(FeatureSpec.Field::name).toList();
    }

    @Override
    public void open(OpenContext ctx) {
        rank = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        group = TrainerGroup.join(getRuntimeContext(), options);
        if (group != null) model.setDataParallel(group.collective());
        useBackend();
        var g = getRuntimeContext().getMetricGroup();
        g.gauge("checkpoint_model_pause_ms", () -> checkpoints.lastPauseMs());
        g.gauge("checkpoint_model_bytes", () -> checkpoints.lastBytes());
        g.gauge("trainer_collective_ms", () -> group == null ? 0L : group.collective().stats().nanos / 1_000_000);
        g.gauge("trainer_collective_bytes_sent", () -> group == null ? 0L : group.collective().stats().bytesSent);
        g.gauge("examples_trained", () -> model.trainedExamples());
        g.gauge("pv_logloss", () -> pv.windowLogLoss());
        g.gauge("pv_auc", () -> pv.windowAuc());
        g.gauge("pv_calibration", () -> pv.windowCalibration());
        g.gauge("model_epoch", () -> publisher.epoch());
        g.gauge("model_version", () -> publisher.version());
        g.gauge("wide_nonzero", () -> (long) model.wideNonZero());
        g.gauge("embedding_rows", () -> (long) model.embeddingRows());
        gate.register(g);
        publishedCount = g.counter("updates_published");
        refusedNonFinite = g.counter("updates_refused_non_finite");
        if (group != null) group.countChecks(g.counter("replica_checks_passed"));
        freshness = new FreshnessMeter();
        if (rank == 0) freshness.register(g);
    }

    /** trainer.backend: a process that cannot run it stops the job (a restart would not help) and says why. */
    private void useBackend() {
        if (options.trainers.backend() == DenseBackend.ND4J) return;
        try {
            model.useDenseBackend(options.trainers.backend(), TrainerDevice.of(getRuntimeContext()));
        } catch (RuntimeException e) {
            throw new SuppressRestartsException(new IllegalStateException("trainer.backend " + options.trainers.backend().label()
                    + " on trainer " + rank + ": " + e.getMessage(), e));
        }
        LOG.info("trainer {}: MLP passes on {}", rank, options.trainers.backend().label());
    }

    @Override
    public void close() {
        if (publisher != null) publisher.close();
        if (group != null) group.close();
        if (checkpoints != null) checkpoints.close();
    }

    @Override
    public void processElement(TrainingStep step, Context ctx, Collector<byte[]> out) throws Exception {
        if (!publisher.opened() && rank == 0) {
            publish(out, true); // the epoch opens with the restored model itself, before it learns more
        }
        if (step.rows.length > 0) {
            for (FeatureRow row : step.rows) {
                batch.add(row);
                if (row.labelTime > newestLabel) newestLabel = row.labelTime;
            }
            model.setExpiryClock(step.watermark);
            train();
            if (rank == 0) freshness.trained(step, System.currentTimeMillis());
        }
        if (rank == 0) publisher.emitFinished(out, false); // a periodic full snapshot encoded meanwhile
        if (!step.publish && !step.end) return;
        if (rank != 0) {
            ModelCodec.clearChanges(model); // only rank 0 publishes; the others forget what changed at the same step
        } else if (step.end) {
            finish(out);
        } else {
            publish(out, false);
        }
    }

    private void train() {
        if (batch.size() == 0) return;
        if (rank == 0) gate.beforeTraining(batch, publisher.published());
        learner.train(batch);
        batch.clear();
    }

    /** Every progressive-validation prediction, in batch order: the gate pairs it with the published model's. */
    private void onPrediction(int row, float p, float label) {
        if (!Float.isFinite(p)) nonFinite = true;
        if (rank == 0) gate.onPrediction(row, p, label);
    }

    /** The input ended (bounded runs): publish the final model. */
    private void finish(Collector<byte[]> out) throws IOException {
        publisher.emitFinished(out, true);
        publish(out, true);
        if (!nonFinite) publisher.writeFinalSnapshot(model);
    }

    private void publish(Collector<byte[]> out, boolean force) throws IOException {
        boolean opening = !publisher.opened();
        if (!opening && !force && !publisher.hasNews(model)) {
            return; // nothing new
        }
        if (nonFinite || !model.denseFinite()) {
            nonFinite = true;
            refusedNonFinite.inc();
            LOG.error("not publishing: the model has non-finite predictions or weights after {} examples",
                    model.trainedExamples());
            return;
        }
        if (!opening && !force && !gate.passes()) return;
        long now = System.currentTimeMillis(); // the update's cut, in its metadata and its breakdown alike
        publisher.publish(out, model, pv, newestLabel, freshness.published(now), force, now);
        gate.published();
        publishedCount.inc();
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        if (rank == 0) checkpoints.completed(checkpointId);
    }

    /** Called by {@link TrainerOperator} before each snapshot: a savepoint carries the whole model. */
    void nextSnapshotIsSavepoint(boolean savepoint) {
        checkpoints.nextSnapshotIsSavepoint(savepoint);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        if (group != null && options.trainers.verifyReplicas()) {
            group.verifyReplicas(model, ctx.getCheckpointId());
        }
        checkpoints.snapshot(model, ctx.getCheckpointId(), rank == 0); // rank 0's copy is the model
        if (rank != 0) {
            publisherState.clear();
            return;
        }
        publisherState.update(List.of(PublisherState.write(publisher.epoch(), pv, gate.gate())));
    }
}
