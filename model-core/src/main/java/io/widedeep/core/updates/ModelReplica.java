package io.widedeep.core.updates;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelFormatException;
import io.widedeep.core.model.WideDeepModel;

/**
 * One reader's copy of the published model, rebuilt from the update stream by {@link EpochRules}:
 * the one place where an update is decoded and applied. A corrupt update is refused before it
 * touches the model; a delta that fails half-way leaves the copy damaged, and a damaged copy takes
 * no delta until the next full snapshot replaces it. Single-threaded: the trainer's quality gate
 * uses one directly, the serving {@code ModelRegistry} keeps two and adds atomic visibility.
 */
public final class ModelReplica {
    public enum Outcome {
        LOADED_FULL, APPLIED_DELTA, IGNORED_STALE, REFUSED_GAP, REFUSED_CORRUPT, REFUSED_DAMAGED;

        /** The copy now holds the update. */
        public boolean applied() {
            return this == LOADED_FULL || this == APPLIED_DELTA;
        }

        public boolean refused() {
            return this == REFUSED_GAP || this == REFUSED_CORRUPT || this == REFUSED_DAMAGED;
        }
    }

    private WideDeepModel model;
    private long epoch = Long.MIN_VALUE;
    private long version = Long.MIN_VALUE;
    private boolean damaged;
    private long refused;
    private String lastProblem = "";

    public Outcome apply(ModelUpdate u) {
        Outcome o = decideAndApply(u);
        if (o.refused()) refused++;
        return o;
    }

    private Outcome decideAndApply(ModelUpdate u) {
        String id = "update " + u.epoch() + "/" + u.version();
        switch (EpochRules.decide(epoch, version, u)) {
            case LOAD_FULL -> {
                try {
                    model = ModelCodec.decodeFull(u.payload());
                } catch (ModelFormatException e) {
                    lastProblem = id + " is corrupt: " + e.getMessage();
                    return Outcome.REFUSED_CORRUPT;
                }
                epoch = u.epoch();
                version = u.version();
                damaged = false;
                return Outcome.LOADED_FULL;
            }
            case APPLY_DELTA -> {
                if (damaged) {
                    lastProblem = id + " refused: this copy was damaged by a failed delta; waiting for a full snapshot";
                    return Outcome.REFUSED_DAMAGED;
                }
                try {
                    ModelCodec.verify(u.payload());
                } catch (ModelFormatException e) {
                    lastProblem = id + " is corrupt: " + e.getMessage();
                    return Outcome.REFUSED_CORRUPT;
                }
                try {
                    ModelCodec.applyDelta(model, u.payload());
                } catch (ModelFormatException e) {
                    damaged = true;
                    lastProblem = id + " failed half-way: " + e.getMessage();
                    return Outcome.REFUSED_CORRUPT;
                }
                version = u.version();
                return Outcome.APPLIED_DELTA;
            }
            case IGNORE_STALE -> {
                return Outcome.IGNORED_STALE;
            }
            default -> {
                lastProblem = "gap: " + id + " (base " + u.baseVersion() + ") does not follow " + epoch + "/" + version
                        + "; waiting for the next full snapshot";
                return Outcome.REFUSED_GAP;
            }
        }
    }

    public WideDeepModel model() { return model; }
    public long epoch() { return epoch; }
    public long version() { return version; }
    public long refused() { return refused; }

    /** Why the last refused update was refused. */
    public String lastProblem() { return lastProblem; }

    @Override
    public String toString() {
        return "ModelReplica(" + (model == null ? "empty" : epoch + "/" + version) + (damaged ? ", damaged" : "") + ")";
    }
}
