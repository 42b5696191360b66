package io.widedeep.serving.features;

import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ItemFeatures;
import io.widedeep.schemas.MalformedMessageException;
import io.widedeep.schemas.ServingFeatures;
import io.widedeep.schemas.UserFeatures;
import io.widedeep.serving.kafka.SupervisedFeed;
import io.widedeep.serving.registry.ModelRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the serving-features topic the training job writes (user histories, item attributes and
 * popularity) into the {@link UserFeatureStore} and the {@link ItemCatalog}: from the start of the
 * compacted log when the server starts, then live. It is {@link #loaded} once it has read up to the
 * end the topic had at start; until then the server is not ready. A restarted feed resumes where it
 * was. Records this server cannot decode are counted and skipped.
 *
 * <p>Everything about what a history contains (event time, dedup, attribution, TTL) was decided by
 * the job; this feed only keeps the newest record of each entity.
 */
public final class FeaturesFeed extends SupervisedFeed {
    private final UserFeatureStore users;
    private final ItemCatalog items;
    private final ModelRegistry registry;
    private final String topic;
    private final AvroSerde<ServingFeatures> serde = AvroSerde.servingFeatures();
    private Map<TopicPartition, Long> loadTarget;
    private volatile boolean loaded;
    private volatile long loadedAfterMs = -1;
    private volatile long newestSpec;
    private volatile long newestWrittenAt;
    private volatile long undecodable;
    private final long startedAt = System.currentTimeMillis();
    private long lastPublish;
    private long lastSweep;
    private long lastUserSweep;
    private static final int USERS_SWEPT_PER_SECOND = 10_000;

    public FeaturesFeed(UserFeatureStore users, ItemCatalog items, ModelRegistry registry, Properties kafka,
                        String topic, long contactTimeoutMs) {
        // Records arrive with every event the job trains on: fetched as they come, each fetch would
        // carry a few and the consumer's per-fetch work would be most of this thread's CPU. Batched to
        // 32 KB or 100 ms, a change reaches the store at most 100 ms after the job wrote it.
        super("features", kafka, Map.of("fetch.min.bytes", "32768", "fetch.max.wait.ms", "100",
                "max.poll.records", "5000", "enable.metrics.push", "false"), contactTimeoutMs);
        this.users = users;
        this.items = items;
        this.registry = registry;
        this.topic = topic;
    }

    @Override
    protected void start(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> resume) {
        List<TopicPartition> parts = assignAll(c, topic);
        if (parts.isEmpty()) {
            throw new IllegalStateException("topic '" + topic + "' does not exist yet (the training job creates it)");
        }
        for (TopicPartition tp : parts) {
            Long at = resume.get(tp);
            if (at != null) c.seek(tp, at);
            else c.seekToBeginning(List.of(tp));
        }
        if (loadTarget == null) loadTarget = new HashMap<>(c.endOffsets(parts, Duration.ofSeconds(10)));
    }

    @Override
    protected void accept(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) return; // a tombstone: nothing the job writes
        ServingFeatures f;
        try {
            f = serde.decode(r.value());
        } catch (MalformedMessageException e) {
            undecodable++;
            return;
        }
        long now = System.currentTimeMillis();
        newestSpec = f.getSpecFingerprint();
        newestWrittenAt = Math.max(newestWrittenAt, f.getWrittenAt());
        if (f.getEntity() instanceof UserFeatures u) {
            UserHistory h = ServingFeatureRecords.history(u, Math.max(u.getRecentItems().size(), u.getRecentCategories().size()));
            users.put(u.getUserId(), f.getSpecFingerprint(), f.getExpiresAt(), u.getSequence(), h.toBytes(), now);
        } else if (f.getEntity() instanceof ItemFeatures i) {
            items.accept(i, f.getExpiresAt(), now);
        }
    }

    @Override
    protected void afterPoll(long now) {
        if (!loaded && loadTarget != null && caughtUp()) {
            loaded = true;
            loadedAfterMs = now - startedAt;
        }
        ModelRegistry.Live l = registry.peek();
        if (l != null && l.model().spec().fingerprint() != items.resolvedFor()) {
            items.useExtractor(new FeatureExtractor(l.model().spec()));
        }
        if (now - lastPublish > 1000 || (!loaded && now - lastPublish > 100)) {
            items.publishPopular();
            lastPublish = now;
        }
        if (now - lastSweep > 60_000) {
            items.sweep(now);
            lastSweep = now;
        }
        if (loaded && now - lastUserSweep >= 1000) {
            users.sweep(now, USERS_SWEPT_PER_SECOND); // a whole pass over a million users in under two minutes
            lastUserSweep = now;
        }
    }

    private boolean caughtUp() {
        for (Map.Entry<TopicPartition, Long> e : loadTarget.entrySet()) {
            if (position(e.getKey()) < e.getValue()) return false;
        }
        return true;
    }

    /** The user's history for the served model, or null (see {@link UserFeatureStore#history}). */
    public UserHistory history(String user, WideDeepModel m) {
        return users.history(user, m.spec().fingerprint(), m.spec().historyMaxItems(), System.currentTimeMillis());
    }

    /** True once the topic has been read up to where it ended when the server started. */
    public boolean loaded() {
        return loaded;
    }

    /** Milliseconds from the server's start until the topic was loaded, -1 before. */
    public long loadedAfterMs() {
        return loadedAfterMs;
    }

    /** The spec fingerprint of the newest record read, 0 before any. */
    public long newestSpec() {
        return newestSpec;
    }

    /** Wall-clock ms at which the job wrote the newest record read, 0 before any. */
    public long newestWrittenAt() {
        return newestWrittenAt;
    }

    public long undecodable() {
        return undecodable;
    }

    public UserFeatureStore users() {
        return users;
    }

    public ItemCatalog items() {
        return items;
    }
}
