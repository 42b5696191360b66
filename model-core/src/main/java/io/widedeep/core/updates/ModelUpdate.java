package io.widedeep.core.updates;

/**
 * One published model update: a full snapshot or a delta ({@code payload}, in the model codec's
 * format), with its {@link UpdateMetadata}. {@code freshness} is a {@code FreshnessBreakdown} of the
 * examples this update is the first to contain (empty when not measured).
 */
public record ModelUpdate(UpdateMetadata meta, byte[] payload, byte[] freshness) {
    private static final byte[] NONE = new byte[0];

    /** An update that carries no freshness breakdown. */
    public ModelUpdate(UpdateMetadata meta, byte[] payload) {
        this(meta, payload, NONE);
    }

    public long epoch() { return meta.epoch(); }
    public long version() { return meta.version(); }
    public boolean full() { return meta.full(); }
    public long baseVersion() { return meta.baseVersion(); }
    public long trainedExamples() { return meta.trainedExamples(); }
    public long createdAt() { return meta.createdAt(); }
    public long maxEventTime() { return meta.maxEventTime(); }
    public UpdateMetadata.Validation validation() { return meta.validation(); }
}
