package io.widedeep.serving.features;

import io.widedeep.core.events.ClickEventValidator;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.MalformedMessageException;
import io.widedeep.serving.kafka.SupervisedFeed;
import io.widedeep.serving.registry.ModelRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the clicks topic into {@link LiveContext}. It starts once a model is loaded (histories are
 * shaped by the model's spec) and begins {@code lookbackMs} back in the topic, so a restarted server
 * rebuilds recent histories; a restarted feed resumes where it was. Malformed records are skipped:
 * the trainer's dead-letter topic has them.
 */
public final class ClickFeed extends SupervisedFeed {
    private final LiveContext live;
    private final ModelRegistry registry;
    private final String topic;
    private final long lookbackMs;
    private final AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
    private long lastPublish;
    private long lastSweep;

    public ClickFeed(LiveContext live, ModelRegistry registry, Properties kafka, String topic, long lookbackMs,
                     long contactTimeoutMs) {
        // Clicks arrive all the time: fetched as they come, each fetch carries a few events and the network
        // round trips take CPU from the requests. Batched to 32 KB or 100 ms, a click reaches the live
        // histories at most 100 ms later.
        super("clicks", kafka, Map.of("fetch.min.bytes", "32768", "fetch.max.wait.ms", "100"), contactTimeoutMs);
        this.live = live;
        this.registry = registry;
        this.topic = topic;
        this.lookbackMs = lookbackMs;
    }

    @Override
    protected boolean awaitStart() throws InterruptedException {
        while (running() && !registry.ready()) Thread.sleep(50);
        if (!running()) return false;
        ModelRegistry.Live l = registry.acquire();
        try {
            live.useExtractor(new FeatureExtractor(l.model().spec()));
        } finally {
            registry.release(l);
        }
        return true;
    }

    @Override
    protected void start(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> resume) {
        List<TopicPartition> parts = assignAll(c, topic);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = System.currentTimeMillis() - lookbackMs;
        parts.forEach(tp -> since.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = c.offsetsForTimes(since);
        for (TopicPartition tp : parts) {
            Long at = resume.get(tp);
            OffsetAndTimestamp o = offsets.get(tp);
            if (at != null) c.seek(tp, at);
            else if (o == null) c.seekToEnd(List.of(tp));
            else c.seek(tp, o.offset());
        }
    }

    @Override
    protected void accept(ConsumerRecord<byte[], byte[]> r) {
        try {
            ClickEvent e = serde.decode(r.value());
            if (ClickEventValidator.problem(e) == null) live.accept(e);
        } catch (MalformedMessageException e) {
            // counted by the trainer's dead-letter topic
        }
    }

    @Override
    protected void afterPoll(long now) {
        if (now - lastPublish > 1000) {
            live.publishPopular();
            lastPublish = now;
        }
        if (now - lastSweep > 60_000) {
            live.sweep();
            lastSweep = now;
        }
    }
}
