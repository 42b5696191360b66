package io.widedeep.core.model;

/**
 * When the model forgets: rows of the wide table and embeddings not seen for the spec's
 * {@code expire_after_ms} are dropped, measured against the largest event time trained, or against
 * the clock the streaming job sets (its watermark), so that one event with a wild timestamp cannot
 * expire every row.
 */
final class Expiry {
    private boolean externalClock;
    private long clock = Long.MIN_VALUE;

    void useClock(long time) {
        externalClock = true;
        clock = time;
    }

    void expire(WideDeepModel m) {
        long now = externalClock ? clock : m.maxEventTime;
        if (now == Long.MIN_VALUE) {
            return; // no time yet (a watermark starts at Long.MIN_VALUE)
        }
        if (m.wide != null && m.spec.wideExpireAfterMs() > 0) {
            m.wide.expire(now - m.spec.wideExpireAfterMs());
        }
        if (m.spec.embeddingExpireAfterMs() > 0) {
            for (EmbeddingTable t : m.embeddings) {
                t.expire(now - m.spec.embeddingExpireAfterMs());
            }
        }
    }
}
