package io.widedeep.core.updates;

import io.widedeep.schemas.ModelUpdateChunk;
import io.widedeep.schemas.UpdateKind;

/**
 * What an update says about itself, from the trainer to the registry: its place in the stream of
 * updates (within an epoch versions increase by one; a delta applies on top of {@code baseVersion}),
 * the model's progress when it was cut, and the trainer's progressive validation. The one type the
 * trainer fills, the chunks carry ({@link #writeTo}, {@link #of}) and a server keeps per served copy.
 */
public record UpdateMetadata(long epoch, long version, boolean full, long baseVersion, long trainedExamples,
                             long createdAt, long maxEventTime, Validation validation) {

    /** The trainer's progressive validation up to the update: every example scored before it was trained on. */
    public record Validation(long examples, long positives, long lateClicks, double logLoss, double windowLogLoss,
                             double windowAuc, double auc) {
        /** For a model that came without the figures (a snapshot file): unknown, not zero. */
        public static final Validation UNKNOWN = new Validation(0, 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /** The metadata a chunk carries (every chunk of an update carries the same). */
    public static UpdateMetadata of(ModelUpdateChunk c) {
        return new UpdateMetadata(c.getEpoch(), c.getVersion(), c.getKind() == UpdateKind.FULL, c.getBaseVersion(),
                c.getTrainedExamples(), c.getCreatedAt(), c.getMaxEventTime(),
                new Validation(c.getPvExamples(), c.getPvPositives(), c.getPvLateClicks(), c.getPvLogloss(),
                        c.getPvWindowLogloss(), c.getPvWindowAuc(), c.getPvAuc()));
    }

    /** Sets this metadata on a chunk being built. */
    public ModelUpdateChunk.Builder writeTo(ModelUpdateChunk.Builder b) {
        Validation v = validation;
        return b.setEpoch(epoch).setVersion(version).setKind(full ? UpdateKind.FULL : UpdateKind.DELTA)
                .setBaseVersion(baseVersion).setTrainedExamples(trainedExamples).setCreatedAt(createdAt)
                .setMaxEventTime(maxEventTime).setPvExamples(v.examples()).setPvPositives(v.positives())
                .setPvLateClicks(v.lateClicks()).setPvLogloss(v.logLoss()).setPvWindowLogloss(v.windowLogLoss())
                .setPvWindowAuc(v.windowAuc()).setPvAuc(v.auc());
    }

    /** A full snapshot read from a file: its id, the file's time, and no figures. */
    public static UpdateMetadata snapshotFile(long epoch, long version, long modifiedAt) {
        return new UpdateMetadata(epoch, version, true, -1, 0, modifiedAt, 0, Validation.UNKNOWN);
    }
}
