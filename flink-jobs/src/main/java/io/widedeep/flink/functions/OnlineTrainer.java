package io.widedeep.flink.functions;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateChunker;
import io.widedeep.flink.JobOptions;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ModelUpdateChunk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer (parallelism 1): trains the model-core learner on mini-batches of feature rows and
 * publishes what it learned.
 *
 * <p><b>Exactly once.</b> The model with its optimizer state is operator state: at a checkpoint the
 * partial batch is trained and the whole model is written with the Kafka offsets it corresponds to.
 *
 * <p><b>Publishing.</b> Every {@code publish.interval.ms} (processing time, independent of
 * checkpoints) it emits a delta with what changed, and every {@code full.snapshot.every} versions a
 * full snapshot. Updates carry (epoch, version). Each (re)start opens a new epoch, larger than any
 * before, whose first update is a full snapshot of the restored model: whatever was published after
 * the last checkpoint is rolled back cleanly. A periodic update whose recent PV log loss is worse than
 * the last published one by more than {@code quality.gate.margin} is held back; its changes go out
 * with the next update that passes.
 */
public class OnlineTrainer extends KeyedProcessFunction<Integer, FeatureRow, byte[]> implements CheckpointedFunction {
    private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainer.class);
    private static final int STATE_PIECE = 16 << 20;

    private final JobOptions options;

    private transient WideDeepModel model;
    private transient ExampleBatch batch;
    private transient float[] predictions;
    private transient ProgressiveValidation pv;
    private transient AvroSerde<ModelUpdateChunk> serde;
    private transient ListState<byte[]> modelState;
    private transient ListState<byte[]> publisherState;
    private transient long epoch;
    private transient long version;
    private transient long versionsSinceFull;
    private transient boolean needFull;
    private transient long publishedExamples;
    private transient double publishedLoss;
    private transient long nextPublishAt;
    private transient boolean endTimerSet;
    private transient boolean inSnapshot;
    private transient Counter heldBack;
    private transient Counter published;

    public OnlineTrainer(JobOptions options) {
        this.options = options;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        modelState = ctx.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("model", org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        publisherState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("publisher",
                org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        FeatureSpec spec = options.spec();
        long restoredEpoch = Long.MIN_VALUE;
        pv = new ProgressiveValidation(options.qualityGateWindow);
        if (ctx.isRestored()) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (byte[] piece : modelState.get()) all.write(piece);
            model = ModelCodec.decodeFull(all.toByteArray());
            for (byte[] p : publisherState.get()) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(p);
                restoredEpoch = b.getLong();
                pv.restoreTotals(new double[] {b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble()});
            }
            LOG.info("restored model: {} examples trained, epoch {}", model.trainedExamples(), restoredEpoch);
        } else {
            model = WideDeepModel.create(spec);
        }
        // A new epoch at every start: larger than the restored one and than any earlier run's.
        epoch = Math.max(System.currentTimeMillis(), restoredEpoch + 1);
        version = 0;
        needFull = true;
        batch = new io.widedeep.core.features.FeatureExtractor(model.spec()).newBatch(model.spec().batchSize());
        predictions = new float[batch.capacity()];
        publishedLoss = Double.NaN;
        publishedExamples = -1;
    }

    @Override
    public void open(OpenContext ctx) {
        serde = AvroSerde.modelUpdates();
        var g = getRuntimeContext().getMetricGroup();
        g.gauge("examples_trained", () -> model.trainedExamples());
        g.gauge("pv_logloss", () -> pv.windowLogLoss());
        g.gauge("pv_auc", () -> pv.windowAuc());
        g.gauge("pv_calibration", () -> pv.windowCalibration());
        g.gauge("model_epoch", () -> epoch);
        g.gauge("model_version", () -> version);
        g.gauge("wide_nonzero", () -> (long) model.wideNonZero());
        g.gauge("embedding_rows", () -> (long) model.embeddingRows());
        heldBack = g.counter("updates_held_back");
        published = g.counter("updates_published");
    }

    @Override
    public void processElement(FeatureRow row, Context ctx, Collector<byte[]> out) throws Exception {
        if (!endTimerSet) {
            // Fires only when the input ends (bounded runs): train the rest and publish it.
            ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
            endTimerSet = true;
        }
        if (nextPublishAt == 0) {
            schedulePublish(ctx.timerService().currentProcessingTime(), ctx);
        }
        batch.add(row);
        if (batch.isFull()) {
            train();
        }
    }

    private void schedulePublish(long now, Context ctx) {
        nextPublishAt = now + options.publishIntervalMs;
        ctx.timerService().registerProcessingTimeTimer(nextPublishAt);
    }

    private void train() {
        int n = batch.size();
        if (n == 0) return;
        model.trainBatch(batch, predictions);
        for (int i = 0; i < n; i++) pv.add(predictions[i], batch.label(i));
        batch.clear();
        injectFailureIfAsked();
    }

    /**
     * Test hook: fail attempt i as soon as the model has trained {@code fail.after[i]} examples
     * (checked after every training step, so the failure comes within one batch of that count).
     */
    private void injectFailureIfAsked() {
        if (inSnapshot) return; // a failure here would only decline the checkpoint
        int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        if (attempt < options.failAfter.length && model.trainedExamples() >= options.failAfter[attempt]) {
            throw new IllegalStateException("injected failure " + attempt + " after "
                    + model.trainedExamples() + " examples");
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<byte[]> out) throws Exception {
        if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            train();
            publish(out, true);
            if (options.snapshotDir != null) {
                // the final model, in full, for whoever needs the end state without the topic
                writeSnapshot(epoch, version, ModelCodec.encodeFull(model, false));
            }
            return;
        }
        if (timestamp >= nextPublishAt) {
            publish(out, false);
            schedulePublish(ctx.timerService().currentProcessingTime(), ctx);
        }
    }

    private void publish(Collector<byte[]> out, boolean force) throws IOException {
        train(); // what has arrived goes out now, not when the batch happens to fill
        if (!needFull && !force && model.trainedExamples() == publishedExamples) {
            return; // nothing new
        }
        double recent = pv.windowLogLoss();
        if (!needFull && !force && !Double.isNaN(publishedLoss) && pv.windowCount() >= options.qualityGateWindow / 2
                && recent > publishedLoss * (1 + options.qualityGateMargin)) {
            heldBack.inc();
            return;
        }
        boolean full = needFull || versionsSinceFull + 1 >= options.fullSnapshotEvery;
        byte[] payload = full ? ModelCodec.encodeFull(model, false) : ModelCodec.encodeDelta(model);
        ModelCodec.clearChanges(model);
        long base = version;
        version++;
        ModelUpdate u = new ModelUpdate(epoch, version, full, full ? -1 : base, model.trainedExamples(),
                System.currentTimeMillis(), model.maxEventTime(), pv.count(), pv.logLoss(), recent,
                pv.windowCount() > 0 ? pv.windowAuc() : Double.NaN, payload);
        for (ModelUpdateChunk c : UpdateChunker.split(u, options.chunkBytes)) {
            out.collect(serde.encode(c));
        }
        if (full && options.snapshotDir != null) {
            writeSnapshot(u.epoch(), u.version(), u.payload());
        }
        needFull = false;
        versionsSinceFull = full ? 0 : versionsSinceFull + 1;
        publishedExamples = model.trainedExamples();
        if (!Double.isNaN(recent)) publishedLoss = recent;
        published.inc();
    }

    /** Full snapshots also go to a directory (file://, s3://, hdfs://); LATEST names the newest. */
    private void writeSnapshot(long epoch, long version, byte[] payload) throws IOException {
        String name = String.format("model-%d-%08d.wdm", epoch, version);
        Path dir = new Path(options.snapshotDir);
        FileSystem fs = dir.getFileSystem();
        Path tmp = new Path(dir, "." + name + ".tmp");
        try (OutputStream o = fs.create(tmp, FileSystem.WriteMode.OVERWRITE)) {
            o.write(payload);
        }
        fs.rename(tmp, new Path(dir, name));
        Path latestTmp = new Path(dir, ".LATEST.tmp");
        try (OutputStream o = fs.create(latestTmp, FileSystem.WriteMode.OVERWRITE)) {
            o.write(name.getBytes(StandardCharsets.UTF_8));
        }
        fs.rename(latestTmp, new Path(dir, "LATEST"));
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        inSnapshot = true;
        try {
            train(); // the checkpoint holds no half-filled batch: offsets and model agree exactly
        } finally {
            inSnapshot = false;
        }
        byte[] snap = ModelCodec.encodeFull(model, true);
        List<byte[]> pieces = new ArrayList<>();
        for (int from = 0; from < snap.length; from += STATE_PIECE) {
            pieces.add(java.util.Arrays.copyOfRange(snap, from, Math.min(snap.length, from + STATE_PIECE)));
        }
        modelState.update(pieces);
        double[] t = pv.totals();
        publisherState.update(List.of(java.nio.ByteBuffer.allocate(40).putLong(epoch)
                .putDouble(t[0]).putDouble(t[1]).putDouble(t[2]).putDouble(t[3]).array()));
    }
}
