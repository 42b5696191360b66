package io.widedeep.serving.registry;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelFormatException;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateMetadata;
import io.widedeep.core.updates.SnapshotFiles;
import io.widedeep.core.updates.UpdateAssembler;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.MalformedMessageException;
import io.widedeep.schemas.ModelUpdateChunk;
import io.widedeep.schemas.UpdateKind;
import io.widedeep.serving.kafka.SupervisedFeed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the registry: first the newest full snapshot of the snapshot directory (if configured),
 * then the updates topic from the first chunk of its newest full snapshot, found by reading the
 * topic backwards in growing windows, so start-up time depends on the distance to the last full
 * snapshot, not on the topic's length or retention. A restarted feed resumes where it had got to.
 */
public final class UpdateFeed extends SupervisedFeed {
    private static final Logger LOG = LoggerFactory.getLogger(UpdateFeed.class);
    private static final int FIRST_WINDOW = 64;

    private final ModelRegistry registry;
    private final String topic;
    private final Path snapshotDir;
    private final AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
    private final UpdateAssembler assembler = new UpdateAssembler();
    private final LongAdder corrupt = new LongAdder();
    private final LongAdder scanned = new LongAdder();
    private final ServedFreshness freshness = new ServedFreshness();
    private boolean bootstrapped;

    public UpdateFeed(ModelRegistry registry, Properties kafka, String topic, Path snapshotDir, long contactTimeoutMs) {
        // Kafka's default fetch.max.wait.ms (500): the broker answers as soon as an update's first bytes are
        // there, so the wait only bounds fetches of a quiet topic, and each of those costs the serving cores
        // CPU: a short wait makes many empty fetches a second for a few updates.
        super("updates", kafka, Map.of("max.partition.fetch.bytes", String.valueOf(4 << 20)), contactTimeoutMs);
        this.registry = registry;
        this.topic = topic;
        this.snapshotDir = snapshotDir;
    }

    @Override
    protected void start(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> resume) {
        if (!bootstrapped && snapshotDir != null) bootstrapFromDirectory();
        bootstrapped = true;
        for (TopicPartition tp : assignAll(c, topic)) {
            Long at = resume.get(tp);
            c.seek(tp, at != null ? at : latestFullSnapshot(c, tp));
        }
    }

    /**
     * Offset of the first chunk of the newest full snapshot in the partition (the beginning if there is
     * none): windows of 64, 128, 256 ... records are read backwards from the end until one holds it.
     */
    long latestFullSnapshot(KafkaConsumer<byte[], byte[]> c, TopicPartition tp) {
        long begin = c.beginningOffsets(List.of(tp)).get(tp);
        long hi = c.endOffsets(List.of(tp)).get(tp);
        long window = FIRST_WINDOW;
        while (hi > begin) {
            long lo = Math.max(begin, hi - window);
            c.seek(tp, lo);
            long found = -1;
            while (c.position(tp) < hi) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= hi) break;
                    scanned.increment();
                    try {
                        ModelUpdateChunk chunk = serde.decode(r.value());
                        if (chunk.getKind() == UpdateKind.FULL && chunk.getChunkIndex() == 0) found = r.offset();
                    } catch (MalformedMessageException e) {
                        // not an update; the forward read counts it
                    }
                }
            }
            if (found >= 0) {
                LOG.info("updates: newest full snapshot at offset {} of {} (scanned {} records)", found, tp, scanned.sum());
                return found;
            }
            hi = lo;
            window *= 2;
        }
        return begin;
    }

    @Override
    protected void accept(ConsumerRecord<byte[], byte[]> r) {
        long receivedAt = System.currentTimeMillis();
        try {
            ModelUpdate u = assembler.accept(serde.decode(r.value()));
            if (u != null && registry.apply(u).applied()) freshness.served(u, receivedAt, registry.lastServedAt());
        } catch (MalformedMessageException | UpdateAssembler.CorruptUpdateException e) {
            corrupt.increment();
            LOG.warn("refused update message: {}", e.getMessage());
        }
    }

    private void bootstrapFromDirectory() {
        try {
            Path latest = snapshotDir.resolve(SnapshotFiles.LATEST);
            if (!Files.exists(latest)) return;
            String name = Files.readString(latest).trim();
            long[] id = SnapshotFiles.parse(name);
            if (id == null) return;
            byte[] payload = Files.readAllBytes(snapshotDir.resolve(name));
            ModelCodec.verify(payload);
            // a snapshot file carries the model, not the job's progressive-validation figures
            long modified = Files.getLastModifiedTime(snapshotDir.resolve(name)).toMillis();
            registry.apply(new ModelUpdate(UpdateMetadata.snapshotFile(id[0], id[1], modified), payload));
            LOG.info("bootstrapped from {}", name);
        } catch (IOException | ModelFormatException e) {
            LOG.warn("cannot bootstrap from {}: {}", snapshotDir, e.getMessage());
        }
    }

    /** Per-stage delays from events to the served model that learned them. */
    public ServedFreshness freshness() {
        return freshness;
    }

    /** Updates abandoned half-way because a chunk was missing or out of order. */
    public long droppedPartials() {
        return assembler.droppedPartials();
    }

    /** Updates refused before reaching the registry (undecodable chunks, bad payload CRC). */
    public long corruptMessages() {
        return corrupt.sum();
    }

    /** Records read backwards while looking for the newest full snapshot. */
    public long scannedRecords() {
        return scanned.sum();
    }
}
