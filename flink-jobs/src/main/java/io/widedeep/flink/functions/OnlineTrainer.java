package io.widedeep.flink.functions;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.metrics.QualityGate;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.OnlineLearner;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.ModelReplica;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateChunker;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.records.TrainingStep;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ModelUpdateChunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
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
 * rank 0 emits a delta with what changed, with the {@link FreshnessMeter} breakdown of the examples
 * it is the first to contain (the MLP's weights at most every {@code publish.dense.interval.ms}, as
 * Monolith syncs dense parameters less often than sparse ones: they move slowly and are most of a
 * delta's bytes), and every {@code full.snapshot.interval.ms} (in time, not versions: publishing
 * follows training, so versions come as fast as the stream does) also
 * a full snapshot of the same version after that version's delta (current readers ignore it as stale;
 * it is where readers that start late or lost their place pick up). Updates carry (epoch, version).
 * Each (re)start opens a new epoch, larger than any before, whose first update is a full snapshot of the restored model: whatever was published after
 * the last checkpoint is rolled back cleanly.
 *
 * <p><b>Quality gate.</b> The trainer keeps a replica of what it published (the same
 * {@link ModelReplica} readers use) and shadow-scores every {@code quality.gate.sample}-th batch
 * with it before training on that batch, so {@link QualityGate} compares candidate and published
 * model on the same examples. An update that is worse by more than the margin is held back (its
 * changes go out with the next one that passes), but never for longer than
 * {@code quality.gate.max.hold.ms}. A model with non-finite predictions or dense weights is never
 * published.
 *
 * <p><b>Time.</b> Expiry of sparse rows follows the watermark, not the largest event time seen.
 */
public class OnlineTrainer extends ProcessFunction<TrainingStep, byte[]>
        implements CheckpointedFunction, CheckpointListener {
    private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainer.class);
    private static final long PUBLISHER_STATE_V2 = -2; // epochs are positive
    private static final byte[] NO_BREAKDOWN = new byte[0];

    private final JobOptions options;

    private transient WideDeepModel model;
    private transient ExampleBatch batch;
    private transient OnlineLearner learner;
    private transient float[] shadowPredictions;
    private transient boolean shadow; // whether the batch in training is also scored by the published model
    private transient ProgressiveValidation pv;
    private transient QualityGate gate;
    private transient ModelReplica published;
    private transient WideDeepModel shadowOwner;
    private transient WideDeepModel.Scratch shadowScratch;
    private transient SnapshotStore snapshots;
    private transient AvroSerde<ModelUpdateChunk> serde;
    private transient ModelCheckpoints checkpoints;
    private transient ListState<byte[]> publisherState;
    private transient long epoch;
    private transient long version;
    private transient long fullPublishedAt;
    private transient boolean needFull;
    private transient long publishedExamples;
    private transient long densePublishedAt;
    private transient long newestLabel; // event time of the newest click or label trained on
    private transient long batchesSeen;
    private transient int rank;
    private transient TrainerGroup group; // null: the only trainer
    private transient FreshnessMeter freshness;
    private transient boolean nonFinite;
    private transient Counter heldBack;
    private transient Counter publishedCount;
    private transient Counter gateOverrides;
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
        pv = new ProgressiveValidation(options.qualityGateWindow);
        gate = new QualityGate(options.qualityGateWindow, options.qualityGateMargin, options.qualityGateMaxHoldMs);
        if (ctx.isRestored()) {
            model = checkpoints.restore();
            if (model == null) {
                throw new SuppressRestartsException(new IllegalStateException("the checkpoint holds no trainer model in "
                        + "this version's layout: it was written by an earlier version. Start a new "
                        + "model: ./widedeep train --fresh (local), or flink run without -s (cluster)"));
            }
            requireSameSpec(model.spec(), spec);
            for (byte[] p : publisherState.get()) {
                ByteBuffer b = ByteBuffer.wrap(p);
                long first = b.getLong();
                // layout 2 opens with a marker and counts its totals; layout 1 (epoch, four totals) has no marker
                restoredEpoch = first == PUBLISHER_STATE_V2 ? b.getLong() : first;
                double[] totals = new double[first == PUBLISHER_STATE_V2 ? b.getInt() : 4];
                for (int i = 0; i < totals.length; i++) totals[i] = b.getDouble();
                pv.restoreTotals(totals);
                if (b.hasRemaining()) {
                    gate.restore(Arrays.copyOfRange(p, b.position(), p.length));
                }
            }
            LOG.info("restored model: {} examples trained, epoch {}, {} paired gate examples, in {} ms",
                    model.trainedExamples(), restoredEpoch, gate.count(), (System.nanoTime() - started) / 1_000_000);
        } else {
            model = WideDeepModel.create(spec, precision());
            checkpoints.startFresh();
        }
        // A new epoch at every start: larger than the restored one and than any earlier run's.
        epoch = Math.max(startedAt, restoredEpoch + 1);
        version = 0;
        needFull = true;
        batch = new FeatureExtractor(model.spec()).newBatch(model.spec().batchSize());
        shadowPredictions = new float[batch.capacity()];
        learner = new OnlineLearner(model, pv);
        learner.setListener(this::onPrediction);
        published = new ModelReplica();
        publishedExamples = -1;
        snapshots = options.snapshotDir == null ? null : new SnapshotStore(options.snapshotDir, options.snapshotRetain);
    }

    private DataType precision() {
        return options.trainerFloat64 ? DataType.DOUBLE : DataType.FLOAT;
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
        serde = AvroSerde.modelUpdates();
        rank = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        group = TrainerGroup.join(getRuntimeContext(), options);
        if (group != null) model.setDataParallel(group.collective());
        var g = getRuntimeContext().getMetricGroup();
        g.gauge("checkpoint_model_pause_ms", () -> checkpoints.lastPauseMs());
        g.gauge("checkpoint_model_bytes", () -> checkpoints.lastBytes());
        g.gauge("trainer_collective_ms", () -> group == null ? 0L : group.collective().stats().nanos / 1_000_000);
        g.gauge("trainer_collective_bytes_sent", () -> group == null ? 0L : group.collective().stats().bytesSent);
        g.gauge("examples_trained", () -> model.trainedExamples());
        g.gauge("pv_logloss", () -> pv.windowLogLoss());
        g.gauge("pv_auc", () -> pv.windowAuc());
        g.gauge("pv_calibration", () -> pv.windowCalibration());
        g.gauge("model_epoch", () -> epoch);
        g.gauge("model_version", () -> version);
        g.gauge("wide_nonzero", () -> (long) model.wideNonZero());
        g.gauge("embedding_rows", () -> (long) model.embeddingRows());
        g.gauge("quality_gate_candidate_logloss", () -> gate.candidateLoss());
        g.gauge("quality_gate_published_logloss", () -> gate.publishedLoss());
        g.gauge("quality_gate_holding_ms", () -> gate.holdingMs(System.currentTimeMillis()));
        heldBack = g.counter("updates_held_back");
        publishedCount = g.counter("updates_published");
        gateOverrides = g.counter("quality_gate_overrides");
        refusedNonFinite = g.counter("updates_refused_non_finite");
        if (group != null) group.countChecks(g.counter("replica_checks_passed"));
        freshness = new FreshnessMeter();
        if (rank == 0) freshness.register(g);
    }

    @Override
    public void close() {
        if (group != null) group.close();
        if (checkpoints != null) checkpoints.close();
    }

    @Override
    public void processElement(TrainingStep step, Context ctx, Collector<byte[]> out) throws Exception {
        if (version == 0 && rank == 0) {
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
        shadow = rank == 0 && published.model() != null && batchesSeen++ % options.qualityGateSample == 0;
        if (shadow) {
            if (shadowOwner != published.model()) {
                shadowOwner = published.model(); // a full update replaced the replica's model
                shadowScratch = shadowOwner.newScratch(batch.capacity());
            }
            shadowOwner.predict(batch, shadowScratch, shadowPredictions);
        }
        learner.train(batch);
        batch.clear();
    }

    /** Every progressive-validation prediction, in batch order: the gate pairs it with the published model's. */
    private void onPrediction(int row, float p, float label) {
        if (!Float.isFinite(p)) nonFinite = true;
        if (shadow) gate.add(p, shadowPredictions[row], label);
    }

    /** The input ended (bounded runs): publish the final model. */
    private void finish(Collector<byte[]> out) throws IOException {
        publish(out, true);
        if (snapshots != null && !nonFinite) {
            // the final model, in full, for whoever needs the end state without the topic
            snapshots.write(epoch, version, ModelCodec.encodeFull(model, false));
        }
    }

    private void publish(Collector<byte[]> out, boolean force) throws IOException {
        if (!needFull && !force && model.trainedExamples() == publishedExamples) {
            return; // nothing new
        }
        if (nonFinite || !model.denseFinite()) {
            nonFinite = true;
            refusedNonFinite.inc();
            LOG.error("not publishing: the model has non-finite predictions or weights after {} examples",
                    model.trainedExamples());
            return;
        }
        if (!needFull && !force && !passesGate()) {
            heldBack.inc();
            return;
        }
        long now = System.currentTimeMillis();
        boolean full = needFull || now - fullPublishedAt >= options.fullSnapshotIntervalMs;
        long base = version;
        version++;
        byte[] breakdown = freshness.published(now);
        // A periodic full snapshot goes out after a delta of the same version: current readers apply the
        // delta and skip the snapshot as stale (it is for readers that start or lost their place), so a
        // server never decodes a whole model on its serving cores just because a minute went by. That
        // delta carries the dense part too, so a reader that follows the deltas holds exactly what one
        // starting from the snapshot holds; so do the first and last update of an epoch (forced).
        boolean dense = full || force || now - densePublishedAt >= options.publishDenseIntervalMs;
        ModelUpdate delta = needFull ? null : update(false, base, ModelCodec.encodeDelta(model, dense), now, breakdown);
        if (dense) densePublishedAt = now;
        ModelCodec.clearChanges(model);
        if (delta != null) emit(out, delta);
        ModelUpdate snapshot = null;
        if (full) {
            snapshot = update(true, base, ModelCodec.encodeFull(model, false), now, delta == null ? breakdown : NO_BREAKDOWN);
            emit(out, snapshot);
            if (snapshots != null) snapshots.write(snapshot.epoch(), snapshot.version(), snapshot.payload());
        }
        // the gate's reference: exactly what a current reader now has (the delta, where there is one)
        published.apply(delta != null ? delta : snapshot);
        gate.published();
        needFull = false;
        if (full) fullPublishedAt = now;
        publishedExamples = model.trainedExamples();
        publishedCount.inc();
    }

    private ModelUpdate update(boolean full, long base, byte[] payload, long now, byte[] breakdown) {
        return new ModelUpdate(epoch, version, full, full ? -1 : base, model.trainedExamples(),
                now, Math.max(model.maxEventTime(), newestLabel), pv.count(), pv.positives(), pv.lateClicks(), pv.logLoss(),
                pv.windowLogLoss(), pv.windowCount() > 0 ? pv.windowAuc() : Double.NaN, pv.auc(), payload, breakdown);
    }

    private void emit(Collector<byte[]> out, ModelUpdate u) {
        for (ModelUpdateChunk c : UpdateChunker.split(u, options.chunkBytes)) {
            out.collect(serde.encode(c));
        }
    }

    private boolean passesGate() {
        long now = System.currentTimeMillis();
        switch (gate.decide(now)) {
            case PUBLISH -> {
                return true;
            }
            case HOLD -> {
                return false;
            }
            default -> {
                gateOverrides.inc();
                LOG.error("quality gate has held updates back for {} ms: candidate PV log loss {} vs published {} "
                                + "on the same {} examples (margin {}); {}", gate.holdingMs(now), gate.candidateLoss(),
                        gate.publishedLoss(), gate.count(), options.qualityGateMargin,
                        options.publishAfterMaxHold ? "publishing anyway" : "still holding");
                if (!options.publishAfterMaxHold) gate.published(); // report again after another max hold
                return options.publishAfterMaxHold;
            }
        }
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
        if (group != null && options.trainerVerifyReplicas) {
            group.verifyReplicas(model, ctx.getCheckpointId());
        }
        checkpoints.snapshot(model, ctx.getCheckpointId(), rank == 0); // rank 0's copy is the model
        if (rank != 0) {
            publisherState.clear();
            return;
        }
        double[] t = pv.totals();
        byte[] g = gate.toBytes();
        ByteBuffer b = ByteBuffer.allocate(20 + 8 * t.length + g.length).putLong(PUBLISHER_STATE_V2).putLong(epoch)
                .putInt(t.length);
        for (double v : t) b.putDouble(v);
        publisherState.update(List.of(b.put(g).array()));
    }
}
