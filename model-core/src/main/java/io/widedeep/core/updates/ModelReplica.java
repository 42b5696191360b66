package io.widedeep.core.updates;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelFormatException;
import io.widedeep.core.model.WideDeepModel;

/**
 * A reader's copy of the published model, rebuilt from the update stream by {@link EpochRules}.
 * Single-threaded; the serving registry adds atomic visibility on top.
 */
public final class ModelReplica {
    public enum Outcome { LOADED_FULL, APPLIED_DELTA, IGNORED_STALE, REFUSED_GAP, REFUSED_CORRUPT }

    private WideDeepModel model;
    private long epoch = Long.MIN_VALUE;
    private long version = Long.MIN_VALUE;
    private long refused;

    public Outcome apply(ModelUpdate u) {
        switch (EpochRules.decide(epoch, version, u)) {
            case LOAD_FULL -> {
                try {
                    model = ModelCodec.decodeFull(u.payload());
                } catch (ModelFormatException e) {
                    refused++;
                    return Outcome.REFUSED_CORRUPT;
                }
                epoch = u.epoch();
                version = u.version();
                return Outcome.LOADED_FULL;
            }
            case APPLY_DELTA -> {
                try {
                    ModelCodec.verify(u.payload());
                    ModelCodec.applyDelta(model, u.payload());
                } catch (ModelFormatException e) {
                    refused++;
                    return Outcome.REFUSED_CORRUPT;
                }
                version = u.version();
                return Outcome.APPLIED_DELTA;
            }
            case IGNORE_STALE -> {
                return Outcome.IGNORED_STALE;
            }
            default -> {
                refused++;
                return Outcome.REFUSED_GAP;
            }
        }
    }

    public WideDeepModel model() { return model; }
    public long epoch() { return epoch; }
    public long version() { return version; }
    public long refused() { return refused; }
}
