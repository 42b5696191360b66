package io.widedeep.core.updates;

/**
 * One published model update: a full snapshot or a delta, with its place in the stream of updates.
 * Within an epoch versions increase by one; a delta applies on top of {@code baseVersion}.
 * {@code freshness} is a {@code FreshnessBreakdown} of the examples this update is the first to
 * contain (empty when not measured).
 */
public record ModelUpdate(long epoch, long version, boolean full, long baseVersion, long trainedExamples,
                          long createdAt, long maxEventTime, long pvExamples, long pvPositives, long pvLateClicks,
                          double pvLogLoss,
                          double pvWindowLogLoss, double pvWindowAuc, double pvAuc, byte[] payload, byte[] freshness) {
    /** An update that carries no freshness breakdown. */
    public ModelUpdate(long epoch, long version, boolean full, long baseVersion, long trainedExamples,
                       long createdAt, long maxEventTime, long pvExamples, long pvPositives, long pvLateClicks,
                       double pvLogLoss, double pvWindowLogLoss, double pvWindowAuc, double pvAuc, byte[] payload) {
        this(epoch, version, full, baseVersion, trainedExamples, createdAt, maxEventTime, pvExamples, pvPositives,
                pvLateClicks, pvLogLoss, pvWindowLogLoss, pvWindowAuc, pvAuc, payload, new byte[0]);
    }
}
