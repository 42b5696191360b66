package io.widedeep.serving.registry;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelFormatException;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.updates.EpochRules;
import io.widedeep.core.updates.ModelUpdate;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live model, kept as two identical copies ("left-right"): updates are applied to the copy no
 * request is using, the copies are swapped with one volatile write, and once the last request on the
 * old copy has finished the same update is applied to it too. A request therefore sees exactly one
 * version, never a half-applied delta, and applying a delta costs time in proportion to the delta
 * (twice), never to the model. Updates follow {@link EpochRules}; a gap or a corrupt update is
 * refused and counted, and the model that was serving keeps serving until the next full snapshot.
 * One writer thread calls {@link #apply}; any number of request threads call {@link #acquire}.
 */
public final class ModelRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    /** One copy of the model and the version it holds. */
    public static final class Live {
        public final WideDeepModel model;
        volatile long epoch;
        volatile long version;
        volatile long createdAt;
        volatile long maxEventTime;
        volatile long pvExamples;
        volatile double pvLogLoss;
        volatile double pvWindowLogLoss;
        volatile double pvWindowAuc;
        private final AtomicLong readers = new AtomicLong();

        Live(WideDeepModel model) {
            this.model = model;
        }

        public long epoch() { return epoch; }
        public long version() { return version; }
        public long createdAt() { return createdAt; }
        public long maxEventTime() { return maxEventTime; }
        public long pvExamples() { return pvExamples; }
        public double pvLogLoss() { return pvLogLoss; }
        public double pvWindowLogLoss() { return pvWindowLogLoss; }
        public double pvWindowAuc() { return pvWindowAuc; }
    }

    private volatile Live active;
    private Live standby;
    private final LongAdder refused = new LongAdder();
    private final LongAdder applied = new LongAdder();
    private volatile String lastRefusal = "";
    private boolean standbyBroken; // a delta failed half-way on the standby copy: only a full snapshot repairs it
    private volatile LongConsumer applyTimer = nanos -> { };

    /** Told how long each applied update took (both copies, the wait for readers included). */
    public void timeAppliesWith(LongConsumer timer) {
        this.applyTimer = timer;
    }

    /** The model a request should use; call {@link #release} when done. Null before the first model. */
    public Live acquire() {
        while (true) {
            Live l = active;
            if (l == null) return null;
            l.readers.incrementAndGet();
            if (l == active) return l;
            l.readers.decrementAndGet(); // swapped meanwhile: take the new one
        }
    }

    public void release(Live l) {
        l.readers.decrementAndGet();
    }

    public boolean ready() {
        return active != null;
    }

    /** Applies one complete update; returns what happened. Writer thread only. */
    public synchronized EpochRules.Decision apply(ModelUpdate u) {
        long start = System.nanoTime();
        Live cur = active;
        long epoch = cur == null ? Long.MIN_VALUE : cur.epoch;
        long version = cur == null ? Long.MIN_VALUE : cur.version;
        EpochRules.Decision d = EpochRules.decide(epoch, version, u);
        if (d == EpochRules.Decision.APPLY_DELTA && standbyBroken) {
            refuse("update " + u.epoch() + "/" + u.version() + " refused: standby copy is damaged; waiting for a full snapshot");
            return EpochRules.Decision.REFUSE_GAP;
        }
        try {
            switch (d) {
                case LOAD_FULL -> {
                    Live a = new Live(ModelCodec.decodeFull(u.payload()));
                    Live b = new Live(ModelCodec.decodeFull(u.payload()));
                    stamp(a, u);
                    stamp(b, u);
                    standby = b;
                    active = a;
                    standbyBroken = false;
                    applied.increment();
                    applyTimer.accept(System.nanoTime() - start);
                }
                case APPLY_DELTA -> {
                    ModelCodec.verify(u.payload());
                    Live next = standby;
                    standbyBroken = true; // until both copies hold the delta
                    ModelCodec.applyDelta(next.model, u.payload());
                    stamp(next, u);
                    active = next;
                    awaitNoReaders(cur);
                    ModelCodec.applyDelta(cur.model, u.payload());
                    stamp(cur, u);
                    standby = cur;
                    standbyBroken = false;
                    applied.increment();
                    applyTimer.accept(System.nanoTime() - start);
                }
                case IGNORE_STALE -> { }
                case REFUSE_GAP -> refuse("gap: update " + u.epoch() + "/" + u.version() + " (base " + u.baseVersion()
                        + ") does not follow " + epoch + "/" + version + "; waiting for the next full snapshot");
            }
        } catch (ModelFormatException e) {
            refuse("update " + u.epoch() + "/" + u.version() + " refused: " + e.getMessage());
            return EpochRules.Decision.REFUSE_GAP;
        }
        return d;
    }

    private void refuse(String why) {
        refused.increment();
        lastRefusal = why;
        LOG.warn(why);
    }

    private static void stamp(Live l, ModelUpdate u) {
        l.epoch = u.epoch();
        l.version = u.version();
        l.createdAt = u.createdAt();
        // a snapshot read from a directory carries no metadata beyond the model itself
        l.maxEventTime = u.maxEventTime() > 0 ? u.maxEventTime() : l.model.maxEventTime();
        l.pvExamples = u.pvExamples();
        l.pvLogLoss = u.pvLogLoss();
        l.pvWindowLogLoss = u.pvWindowLogLoss();
        l.pvWindowAuc = u.pvWindowAuc();
    }

    /**
     * Waits for the requests still on the old copy (each a fraction of a millisecond) by parking, not
     * spinning: a spinning writer takes the CPU from the very requests it waits for when cores are few.
     */
    private static void awaitNoReaders(Live l) {
        while (l.readers.get() != 0) {
            LockSupport.parkNanos(20_000);
        }
    }

    public long refusedUpdates() { return refused.sum(); }
    public long appliedUpdates() { return applied.sum(); }
    public String lastRefusal() { return lastRefusal; }

    /** The active copy without holding it (metrics only). */
    public Live peek() {
        return active;
    }
}
