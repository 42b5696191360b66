package io.widedeep.serving.registry;

import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.updates.ModelReplica;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateMetadata;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live model, kept as two {@link ModelReplica}s ("left-right"): an update is applied to the copy
 * no request is using, the copies are swapped with one volatile write, and once the last request on
 * the old copy has finished the same update is applied to it too. A request therefore sees exactly
 * one version, never a half-applied delta, and applying a delta costs time in proportion to the
 * delta (twice), never to the model. What to do with an update (and what a corrupt, out-of-order or
 * half-failed one does) is the replica's business, shared with the trainer's quality gate; the model
 * that was serving keeps serving until a full snapshot repairs things. One writer thread calls
 * {@link #apply}; any number of request threads call {@link #acquire}.
 */
public final class ModelRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    /** One copy of the model, the version it holds, and what the update that made it said. */
    public static final class Live {
        private final ModelReplica replica = new ModelReplica();
        volatile UpdateMetadata meta;
        volatile long maxEventTime;
        private final AtomicLong readers = new AtomicLong();

        public WideDeepModel model() { return replica.model(); }
        public long epoch() { return replica.epoch(); }
        public long version() { return replica.version(); }
        public long createdAt() { return meta.createdAt(); }
        /** The newest event the model learned from (a snapshot file's model knows its own). */
        public long maxEventTime() { return maxEventTime; }
        /** The trainer's progressive validation when it cut this model's update. */
        public UpdateMetadata.Validation validation() { return meta.validation(); }
    }

    private volatile Live active;
    private Live standby = new Live();
    private Live other = new Live(); // the second copy before the first model arrives
    private final LongAdder refused = new LongAdder();
    private final LongAdder applied = new LongAdder();
    private volatile String lastRefusal = "";
    private volatile LongConsumer applyTimer = nanos -> { };
    private volatile long lastServedAt;

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

    /** Applies one complete update to both copies; returns what the serving copy made of it. Writer thread only. */
    public synchronized ModelReplica.Outcome apply(ModelUpdate u) {
        long start = System.nanoTime();
        Live next = standby;
        ModelReplica.Outcome o = next.replica.apply(u);
        if (!o.applied()) {
            if (o.refused()) refuse(next.replica.lastProblem());
            return o;
        }
        stamp(next, u);
        Live old = active != null ? active : other;
        active = next;
        lastServedAt = System.currentTimeMillis();
        awaitNoReaders(old);
        ModelReplica.Outcome second = old.replica.apply(u);
        if (second.applied()) {
            stamp(old, u);
        } else {
            // the new copy serves; this one stays behind (damaged or unloadable) until a full snapshot
            LOG.warn("standby copy refused {}: {}", u.epoch() + "/" + u.version(), old.replica.lastProblem());
        }
        standby = old;
        applied.increment();
        applyTimer.accept(System.nanoTime() - start);
        return o;
    }

    private void refuse(String why) {
        refused.increment();
        lastRefusal = why;
        LOG.warn(why);
    }

    private static void stamp(Live l, ModelUpdate u) {
        // a snapshot read from a directory carries no metadata beyond the model itself
        l.maxEventTime = u.maxEventTime() > 0 ? u.maxEventTime() : l.model().maxEventTime();
        l.meta = u.meta();
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

    /** Wall-clock ms at which the last applied update began serving (the swap, before the second copy caught up). */
    public long lastServedAt() { return lastServedAt; }

    public long refusedUpdates() { return refused.sum(); }
    public long appliedUpdates() { return applied.sum(); }

    /** Why the last refused update was refused (empty if none was). */
    public String lastRefusal() { return lastRefusal; }

    /** The active copy without holding it (metrics only). */
    public Live peek() {
        return active;
    }
}
