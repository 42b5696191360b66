package io.widedeep.serving.features;

import io.widedeep.core.events.ClickEventValidator;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.MalformedMessageException;
import io.widedeep.serving.registry.ModelRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the clicks topic into {@link LiveContext}. It starts once a model is loaded (histories are
 * shaped by the model's spec) and begins {@code lookbackMs} back in the topic, so a restarted server
 * rebuilds recent histories. Malformed records are skipped: the trainer's dead-letter topic has them.
 */
public final class ClickFeed implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClickFeed.class);

    private final LiveContext live;
    private final ModelRegistry registry;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final long lookbackMs;
    private volatile boolean running = true;

    public ClickFeed(LiveContext live, ModelRegistry registry, Properties kafka, String topic, long lookbackMs) {
        this.live = live;
        this.registry = registry;
        Properties p = new Properties();
        p.putAll(kafka);
        p.putIfAbsent("fetch.max.wait.ms", "50");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.lookbackMs = lookbackMs;
    }

    @Override
    public void run() {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        try {
            while (running && !registry.ready()) Thread.sleep(50);
            if (!running) return;
            ModelRegistry.Live l = registry.acquire();
            try {
                live.useExtractor(new FeatureExtractor(l.model.spec()));
            } finally {
                registry.release(l);
            }
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            Map<TopicPartition, Long> since = new HashMap<>();
            long from = System.currentTimeMillis() - lookbackMs;
            parts.forEach(tp -> since.put(tp, from));
            Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(since);
            for (TopicPartition tp : parts) {
                OffsetAndTimestamp o = offsets.get(tp);
                if (o == null) consumer.seekToEnd(List.of(tp)); else consumer.seek(tp, o.offset());
            }
            long lastRefresh = 0;
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    try {
                        ClickEvent e = serde.decode(r.value());
                        if (ClickEventValidator.problem(e) == null) live.accept(e);
                    } catch (MalformedMessageException e) {
                        // counted by the trainer's dead-letter topic
                    }
                }
                long now = System.currentTimeMillis();
                if (now - lastRefresh > 1000) {
                    live.refreshPopular(1000);
                    lastRefresh = now;
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("click feed stopped", e);
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
