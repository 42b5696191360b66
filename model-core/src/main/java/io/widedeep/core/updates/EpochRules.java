package io.widedeep.core.updates;

/**
 * The rules by which a reader follows the update stream (one place, shared by every reader):
 * a full snapshot of a newer epoch, or a newer version of the current epoch, replaces the model;
 * a delta applies only on top of exactly its base version in the current epoch; anything older is a
 * duplicate; anything else is a gap that must wait for the next full snapshot.
 */
public final class EpochRules {
    public enum Decision { LOAD_FULL, APPLY_DELTA, IGNORE_STALE, REFUSE_GAP }

    private EpochRules() {}

    /** What to do with {@code u} given the reader's current (epoch, version); epoch MIN_VALUE = no model yet. */
    public static Decision decide(long epoch, long version, ModelUpdate u) {
        if (u.full()) {
            if (u.epoch() > epoch || (u.epoch() == epoch && u.version() > version)) return Decision.LOAD_FULL;
            return Decision.IGNORE_STALE;
        }
        if (u.epoch() < epoch || (u.epoch() == epoch && u.version() <= version)) return Decision.IGNORE_STALE;
        if (u.epoch() == epoch && u.baseVersion() == version) return Decision.APPLY_DELTA;
        return Decision.REFUSE_GAP;
    }
}
