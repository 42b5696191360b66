package io.widedeep.serving.registry;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelFormatException;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.SnapshotFiles;
import io.widedeep.core.updates.UpdateAssembler;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.MalformedMessageException;
import io.widedeep.schemas.ModelUpdateChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the registry: first the newest full snapshot of the snapshot directory (if configured),
 * then the updates topic from its beginning (the registry skips what is older than what it has).
 */
public final class UpdateFeed implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UpdateFeed.class);

    private final ModelRegistry registry;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Path snapshotDir;
    private final AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
    private final UpdateAssembler assembler = new UpdateAssembler();
    private final LongAdder corrupt = new LongAdder();
    private volatile boolean running = true;

    public UpdateFeed(ModelRegistry registry, Properties kafka, String topic, Path snapshotDir) {
        this.registry = registry;
        Properties p = new Properties();
        p.putAll(kafka);
        p.putIfAbsent("max.partition.fetch.bytes", String.valueOf(4 << 20));
        p.putIfAbsent("fetch.max.wait.ms", "20");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.snapshotDir = snapshotDir;
    }

    @Override
    public void run() {
        try {
            if (snapshotDir != null) bootstrapFromDirectory();
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    accept(r.value());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("update feed stopped", e);
        } finally {
            consumer.close();
        }
    }

    void accept(byte[] message) {
        try {
            ModelUpdate u = assembler.accept(serde.decode(message));
            if (u != null) registry.apply(u);
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
            registry.apply(new ModelUpdate(id[0], id[1], true, -1, 0,
                    Files.getLastModifiedTime(snapshotDir.resolve(name)).toMillis(), 0, 0, 0, 0, 0, 0, payload));
            LOG.info("bootstrapped from {}", name);
        } catch (java.io.IOException | ModelFormatException e) {
            LOG.warn("cannot bootstrap from {}: {}", snapshotDir, e.getMessage());
        }
    }

    /** Updates refused before reaching the registry (undecodable chunks, bad payload CRC). */
    public long corruptMessages() {
        return corrupt.sum();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
