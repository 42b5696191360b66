package io.widedeep.flink.functions;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * How the trainers' model enters checkpoints. By default through a {@link ModelCheckpointLog}
 * (a base and increments in files; the checkpoint's state is the manifest), so a checkpoint costs
 * what changed since the last one. A savepoint, or every checkpoint with
 * {@code --checkpoint.model full}, carries the whole model in operator state instead, so it stands on
 * its own. Both are union state written by rank 0 only: a restore hands the one model to every
 * trainer, whatever their number.
 */
final class ModelCheckpoints implements AutoCloseable {
    private static final int STATE_PIECE = 16 << 20;

    private final ListState<byte[]> wholeModel;
    private final ListState<byte[]> manifest;
    private final ModelCheckpointLog log; // also reads a manifest's chain when increments are off
    private final boolean incremental;
    private final DataType dtype;
    private boolean nextIsSavepoint;
    private long lastPauseNanos;
    private long lastBytes;

    ModelCheckpoints(OperatorStateStore store, boolean incremental, String checkpointDir, String jobId, DataType dtype)
            throws Exception {
        wholeModel = store.getUnionListState(
                new ListStateDescriptor<>("replicated-model", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        manifest = store.getUnionListState(
                new ListStateDescriptor<>("model-manifest", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        this.log = new ModelCheckpointLog(checkpointDir, jobId, dtype);
        this.incremental = incremental;
        this.dtype = dtype;
    }

    /** The checkpointed model, or null if the state holds none (a new job, or an earlier version's layout). */
    WideDeepModel restore() throws Exception {
        Iterator<byte[]> m = manifest.get().iterator();
        if (m.hasNext()) {
            return log.restore(m.next()); // only rank 0 writes one
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] piece : wholeModel.get()) all.write(piece);
        if (all.size() == 0) return null;
        WideDeepModel model = ModelCodec.decodeFull(all.toByteArray(), dtype);
        log.startFresh(); // increments start from a base written at the next checkpoint
        return model;
    }

    /** A new model: the log starts a new lineage. */
    void startFresh() {
        log.startFresh();
    }

    /** Set by the trainer's operator just before the function's snapshot: savepoints take the whole model. */
    void nextSnapshotIsSavepoint(boolean savepoint) {
        nextIsSavepoint = savepoint;
    }

    /** Writes the model into checkpoint {@code checkpointId}: rank 0 ({@code owner}) writes, the others clear. */
    void snapshot(WideDeepModel model, long checkpointId, boolean owner) throws Exception {
        if (!owner) {
            wholeModel.clear();
            manifest.clear();
            return;
        }
        long started = System.nanoTime();
        if (incremental && !nextIsSavepoint) {
            manifest.update(List.of(log.checkpoint(model, checkpointId)));
            wholeModel.clear();
            lastBytes = log.lastBytes();
        } else {
            byte[] snap = ModelCodec.encodeFull(model, true);
            List<byte[]> pieces = new ArrayList<>();
            for (int from = 0; from < snap.length; from += STATE_PIECE) {
                pieces.add(Arrays.copyOfRange(snap, from, Math.min(snap.length, from + STATE_PIECE)));
            }
            wholeModel.update(pieces);
            manifest.clear();
            lastBytes = snap.length;
        }
        lastPauseNanos = System.nanoTime() - started;
    }

    void completed(long checkpointId) {
        log.completed(checkpointId);
    }

    long lastPauseMs() {
        return lastPauseNanos / 1_000_000;
    }

    long lastBytes() {
        return lastBytes;
    }

    @Override
    public void close() {
        log.close();
    }
}
