package io.widedeep.flink.functions;

import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.updates.ModelReplica;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateChunker;
import io.widedeep.core.updates.UpdateMetadata;
import io.widedeep.flink.records.PublishPolicy;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ModelUpdateChunk;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.util.Collector;

/**
 * The stream of updates rank 0 publishes: (epoch, version) numbering, deltas and periodic full
 * snapshots, chunking into Kafka records, and the snapshot directory.
 *
 * <p>Each delta carries what changed since the last one (the MLP's weights at most every
 * {@code publish.dense.interval.ms}, as Monolith syncs dense parameters less often than sparse
 * ones: they move slowly and are most of a delta's bytes). Every {@code full.snapshot.interval.ms}
 * (in time, not versions: publishing follows training, so versions come as fast as the stream does)
 * a full snapshot of that version's model goes out too: current readers ignore it as stale, readers
 * that start late or lost their place pick up there. It is encoded off the training thread (a
 * snapshot of ~100 MB takes hundreds of milliseconds to encode; copying the weights takes a tenth of
 * that), from a {@link WideDeepModel#servingCopy} taken at its version, and goes out at the first
 * step after it is ready, followed by the deltas published meanwhile again (without their
 * freshness): a reader starting at the snapshot applies those, current readers skip them as stale,
 * so the topic stays a sequence any reader can start from at its last full snapshot. Each (re)start
 * opens a new epoch, whose first update is a full snapshot of the restored model (encoded in line:
 * nothing is published before it), so whatever was published after the last checkpoint is rolled
 * back cleanly.
 *
 * <p>It keeps a replica of what it published (the same {@link ModelReplica} readers use): the
 * quality gate's reference.
 */
final class ModelPublisher implements AutoCloseable {
    private static final byte[] NO_BREAKDOWN = new byte[0];
    /** Deltas kept to follow a snapshot still being encoded; past this many the training thread waits for it. */
    private static final int MAX_FOLLOWING = 10_000;

    private final PublishPolicy policy;
    private final long epoch;
    private final AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
    private final ModelReplica published = new ModelReplica();
    private final SnapshotStore snapshots; // null: no snapshot directory
    private long version;
    private long fullPublishedAt;
    private long densePublishedAt;
    private long publishedExamples = -1;
    private final ExecutorService encoder;
    private Future<ModelUpdate> encoding; // the periodic full snapshot being encoded, null if none
    private final List<ModelUpdate> following = new ArrayList<>(); // deltas published since its version

    ModelPublisher(PublishPolicy policy, long epoch) {
        this(policy, epoch, Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "full-snapshot-encoder");
            t.setDaemon(true);
            return t;
        }));
    }

    /** {@code encoder}: where periodic full snapshots are encoded (tests hold it busy). */
    ModelPublisher(PublishPolicy policy, long epoch, ExecutorService encoder) {
        this.encoder = encoder;
        this.policy = policy;
        this.epoch = epoch;
        this.snapshots = policy.snapshotDir() == null ? null : new SnapshotStore(policy.snapshotDir(), policy.snapshotRetain());
    }

    long epoch() { return epoch; }
    long version() { return version; }
    /**
     * Whether the epoch has opened: its first update, the full restored model, has gone out. Until
     * then an update is that full snapshot, which no gate may hold.
     */
    boolean opened() { return version > 0; }
    /** Whether the model learned anything since the last update. */
    boolean hasNews(WideDeepModel model) { return model.trainedExamples() != publishedExamples; }
    /** The model as current readers hold it; null before the first update. */
    WideDeepModel published() { return published.model(); }

    /**
     * Publishes the model's changes (and, when due, the whole model) with {@code breakdown}, the
     * freshness of the examples this update is the first to contain, cut at {@code now}. {@code force}:
     * the dense part goes too (the first and last update of an epoch).
     */
    void publish(Collector<byte[]> out, WideDeepModel model, ProgressiveValidation pv, long newestLabel,
                 byte[] breakdown, boolean force, long now) throws IOException {
        boolean first = version == 0;
        boolean full = first || now - fullPublishedAt >= policy.fullSnapshotIntervalMs();
        long base = version;
        version++;
        // A periodic full snapshot goes out after a delta of the same version: current readers apply the
        // delta and skip the snapshot as stale, so a server never decodes a whole model on its serving
        // cores just because a minute went by. That delta carries the dense part too, so a reader that
        // follows the deltas holds exactly what one starting from the snapshot holds.
        boolean dense = full || force || now - densePublishedAt >= policy.denseIntervalMs();
        UpdateMetadata.Validation v = new UpdateMetadata.Validation(pv.count(), pv.positives(), pv.lateClicks(),
                pv.logLoss(), pv.windowLogLoss(), pv.windowCount() > 0 ? pv.windowAuc() : Double.NaN, pv.auc());
        long maxEventTime = Math.max(model.maxEventTime(), newestLabel);
        ModelUpdate delta = first ? null : new ModelUpdate(new UpdateMetadata(epoch, version, false, base,
                model.trainedExamples(), now, maxEventTime, v), ModelCodec.encodeDelta(model, dense), breakdown);
        if (dense) densePublishedAt = now;
        ModelCodec.clearChanges(model);
        if (delta != null) {
            emit(out, delta);
            if (encoding != null) following.add(new ModelUpdate(delta.meta(), delta.payload(), NO_BREAKDOWN));
        }
        ModelUpdate opening = null;
        UpdateMetadata snapshotMeta = full ? new UpdateMetadata(epoch, version, true, -1, model.trainedExamples(), now, maxEventTime, v) : null;
        if (first) {
            opening = new ModelUpdate(snapshotMeta, ModelCodec.encodeFull(model, false), breakdown);
            emitSnapshot(out, opening);
            fullPublishedAt = now;
        } else if (full && encoding == null) {
            WideDeepModel copy = model.servingCopy(); // the only part of the snapshot on the training thread
            encoding = encoder.submit(() -> new ModelUpdate(snapshotMeta, ModelCodec.encodeFull(copy, false), NO_BREAKDOWN));
            fullPublishedAt = now;
        }
        if (following.size() > MAX_FOLLOWING) emitFinished(out, true);
        // the gate's reference: exactly what a current reader now has (the delta, where there is one)
        published.apply(delta != null ? delta : opening);
        publishedExamples = model.trainedExamples();
    }

    /**
     * Emits the periodic full snapshot if its encoding has finished ({@code wait}: waits for it),
     * then the deltas published since its version. The trainer calls it at each step, before it
     * publishes, so a snapshot never waits behind a later delta longer than one step.
     */
    void emitFinished(Collector<byte[]> out, boolean wait) throws IOException {
        if (encoding == null || (!wait && !encoding.isDone())) return;
        ModelUpdate snapshot;
        try {
            snapshot = encoding.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while encoding a full snapshot", e);
        } catch (ExecutionException e) {
            throw new IOException("encoding a full snapshot failed", e.getCause());
        } finally {
            encoding = null;
        }
        emitSnapshot(out, snapshot);
        for (ModelUpdate d : following) emit(out, d);
        following.clear();
    }

    private void emitSnapshot(Collector<byte[]> out, ModelUpdate snapshot) throws IOException {
        emit(out, snapshot);
        if (snapshots != null) snapshots.write(snapshot.epoch(), snapshot.version(), snapshot.payload());
    }

    @Override
    public void close() {
        encoder.shutdownNow();
    }

    /** The final model, in full, in the snapshot directory: for whoever needs the end state without the topic. */
    void writeFinalSnapshot(WideDeepModel model) throws IOException {
        if (snapshots != null) snapshots.write(epoch, version, ModelCodec.encodeFull(model, false));
    }

    private void emit(Collector<byte[]> out, ModelUpdate u) {
        for (ModelUpdateChunk c : UpdateChunker.split(u, policy.chunkBytes())) {
            out.collect(serde.encode(c));
        }
    }
}
