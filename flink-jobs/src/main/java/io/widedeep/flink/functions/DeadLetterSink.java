package io.widedeep.flink.functions;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes dead letters to their topic at least once (flushed at every checkpoint) and never fails
 * the job: a dead letter that cannot be sent (the topic is missing, the broker refuses it) is
 * counted in {@code dead_letters_failed} and logged, and training goes on. Dead letters are a
 * diagnostic; a broken diagnostic must not stop the learner. {@code producerConfig}: the Kafka
 * producer's properties (bootstrap servers and the job's {@code kafka.*} options).
 */
public record DeadLetterSink(String topic, Properties producerConfig) implements Sink<byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSink.class);
    private static final long LOG_EVERY_MS = 10_000;

    @Override
    public SinkWriter<byte[]> createWriter(WriterInitContext context) {
        return new Writer(context.metricGroup().counter("dead_letters_failed"));
    }

    private final class Writer implements SinkWriter<byte[]> {
        private final KafkaProducer<byte[], byte[]> producer;
        private final Counter failed;
        private final AtomicLong lastLogged = new AtomicLong();

        Writer(Counter failed) {
            this.failed = failed;
            this.producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public void write(byte[] deadLetter, Context context) {
            try {
                producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), null, deadLetter), (m, e) -> {
                    if (e != null) fail(e);
                });
            } catch (RuntimeException e) {
                fail(e); // refused before sending (e.g. larger than max.request.size)
            }
        }

        private void fail(Exception e) {
            failed.inc();
            long now = System.currentTimeMillis();
            long last = lastLogged.get();
            if (now - last >= LOG_EVERY_MS && lastLogged.compareAndSet(last, now)) {
                LOG.warn("dead letter not written to {} (counted in dead_letters_failed): {}", topic, e.toString());
            }
        }

        @Override
        public void flush(boolean endOfInput) {
            producer.flush();
        }

        @Override
        public void close() {
            producer.close();
        }
    }
}
