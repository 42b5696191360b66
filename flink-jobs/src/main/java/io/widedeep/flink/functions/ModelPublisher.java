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
import org.apache.flink.util.Collector;

/**
 * The stream of updates rank 0 publishes: (epoch, version) numbering, deltas and periodic full
 * snapshots, chunking into Kafka records, and the snapshot directory.
 *
 * <p>Each delta carries what changed since the last one (the MLP's weights at most every
 * {@code publish.dense.interval.ms}, as Monolith syncs dense parameters less often than sparse
 * ones: they move slowly and are most of a delta's bytes). Every {@code full.snapshot.interval.ms}
 * (in time, not versions: publishing follows training, so versions come as fast as the stream does)
 * a full snapshot of the same version follows that version's delta: current readers ignore it as
 * stale, readers that start late or lost their place pick up there. Each (re)start opens a new
 * epoch, whose first update is a full snapshot of the restored model, so whatever was published
 * after the last checkpoint is rolled back cleanly.
 *
 * <p>It keeps a replica of what it published (the same {@link ModelReplica} readers use): the
 * quality gate's reference.
 */
final class ModelPublisher {
    private static final byte[] NO_BREAKDOWN = new byte[0];

    private final PublishPolicy policy;
    private final long epoch;
    private final AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
    private final ModelReplica published = new ModelReplica();
    private final SnapshotStore snapshots; // null: no snapshot directory
    private long version;
    private long fullPublishedAt;
    private long densePublishedAt;
    private long publishedExamples = -1;

    ModelPublisher(PublishPolicy policy, long epoch) {
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
        if (delta != null) emit(out, delta);
        ModelUpdate snapshot = null;
        if (full) {
            snapshot = new ModelUpdate(new UpdateMetadata(epoch, version, true, -1, model.trainedExamples(), now,
                    maxEventTime, v), ModelCodec.encodeFull(model, false), delta == null ? breakdown : NO_BREAKDOWN);
            emit(out, snapshot);
            if (snapshots != null) snapshots.write(epoch, version, snapshot.payload());
            fullPublishedAt = now;
        }
        // the gate's reference: exactly what a current reader now has (the delta, where there is one)
        published.apply(delta != null ? delta : snapshot);
        publishedExamples = model.trainedExamples();
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
