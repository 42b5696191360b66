package io.widedeep.serving.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topic reader that never dies: any failure (broker unreachable at start, authorisation, a bug in
 * a record handler) closes the consumer, counts a restart and opens a new one after a backoff that
 * doubles up to 30 s; it resumes where it had got to. Every second it asks the broker for the end
 * offsets: that is its contact with Kafka, and its lag. {@link #status} says whether it is up and,
 * if not, why: what the server's health check reports.
 *
 * <p>Subclasses say where to start ({@link #start}) and what to do with a record ({@link #accept});
 * both run on the feed's own thread.
 */
public abstract class SupervisedFeed implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SupervisedFeed.class);
    private static final long MAX_BACKOFF_MS = 30_000;

    /** What the health check shows of a feed. */
    public record Status(String name, boolean up, String reason, long restarts, long lag, long lastContactMs) {}

    private final String name;
    private final Properties config;
    private final long contactTimeoutMs;
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private final AtomicLong restarts = new AtomicLong();
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile long lastContact;
    private volatile long lag = -1;
    private volatile String problem = "starting";

    /** {@code defaults} are consumer settings the feed wants unless {@code kafka} sets them. */
    protected SupervisedFeed(String name, Properties kafka, Map<String, String> defaults, long contactTimeoutMs) {
        this.name = name;
        this.config = new Properties();
        this.config.putAll(kafka);
        this.config.putIfAbsent("default.api.timeout.ms", "10000");
        defaults.forEach(this.config::putIfAbsent);
        this.contactTimeoutMs = contactTimeoutMs;
        this.lastContact = System.currentTimeMillis();
    }

    /**
     * Assigns partitions and seeks. {@code resume} holds the next offset per partition this feed had
     * reached before a restart (empty on the first start).
     */
    protected abstract void start(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> resume)
            throws Exception;

    protected abstract void accept(ConsumerRecord<byte[], byte[]> record);

    /** Assigns every partition of the topic to the consumer and returns them. */
    protected static List<TopicPartition> assignAll(KafkaConsumer<byte[], byte[]> c, String topic) {
        List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(i -> new TopicPartition(topic, i.partition())).toList();
        c.assign(parts);
        return parts;
    }

    /** The consumer's position in a partition (feed thread only, e.g. in {@link #afterPoll}); -1 between consumers. */
    protected long position(TopicPartition tp) {
        KafkaConsumer<byte[], byte[]> c = consumer;
        return c == null ? -1 : c.position(tp, Duration.ofSeconds(1));
    }

    /** False once {@link #close} was called. */
    protected boolean running() {
        return running;
    }

    /** Called after every poll (for periodic work such as refreshing derived data). */
    protected void afterPoll(long now) {}

    /** Blocks until the feed may start (e.g. a model is loaded); false when closing. */
    protected boolean awaitStart() throws InterruptedException {
        return true;
    }

    @Override
    public final void run() {
        long backoff = 100;
        try {
            if (!awaitStart()) return;
        } catch (InterruptedException e) {
            return;
        }
        while (running) {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer = c;
                if (!running) return;
                start(c, Map.copyOf(positions));
                contact(c);
                problem = null;
                backoff = 100;
                long lastCheck = System.currentTimeMillis();
                while (running) {
                    ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        accept(r);
                        positions.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
                    }
                    long now = System.currentTimeMillis();
                    afterPoll(now);
                    if (now - lastCheck >= 1000) {
                        lastCheck = now;
                        try {
                            contact(c);
                            problem = null;
                        } catch (TimeoutException e) {
                            // the consumer reconnects by itself; say so meanwhile
                            problem = "no answer from Kafka: " + e.getMessage();
                        }
                    }
                }
            } catch (WakeupException e) {
                if (!running) return;
            } catch (Exception e) {
                if (!running) return;
                restarts.incrementAndGet();
                problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                LOG.warn("{} feed failed (restart {} in {} ms): {}", name, restarts.get(), backoff, problem);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
            } finally {
                consumer = null;
            }
        }
    }

    /** One round trip to the broker: end offsets of the assigned partitions, hence the lag. */
    private void contact(KafkaConsumer<byte[], byte[]> c) {
        List<TopicPartition> parts = List.copyOf(c.assignment());
        if (parts.isEmpty()) return;
        Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofMillis(1500));
        long total = 0;
        for (TopicPartition tp : parts) total += Math.max(0, end.get(tp) - c.position(tp, Duration.ofMillis(1500)));
        lag = total;
        lastContact = System.currentTimeMillis();
    }

    public Status status() {
        long now = System.currentTimeMillis();
        String p = problem;
        boolean stale = now - lastContact > contactTimeoutMs;
        boolean up = p == null && !stale;
        String reason = up ? null : (p != null ? p : "") + (stale ? (p != null ? "; " : "")
                + "no contact with Kafka for " + (now - lastContact) / 1000 + " s" : "");
        return new Status(name, up, reason, restarts.get(), lag, lastContact);
    }

    public String name() {
        return name;
    }

    public long restarts() {
        return restarts.get();
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) c.wakeup();
    }
}
