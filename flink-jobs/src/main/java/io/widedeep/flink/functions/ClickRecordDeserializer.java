package io.widedeep.flink.functions;

import io.widedeep.core.events.ClickEventValidator;
import io.widedeep.flink.records.SourceRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.MalformedMessageException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes and validates each Kafka record in the source itself, so that watermarks are generated
 * per partition from real event times. Never throws on bad input: a record that does not decode or
 * validate becomes an invalid {@link SourceRecord} carrying the reason and the raw bytes. So does
 * an event dated more than {@code maxFutureMs} ahead of this machine's clock: it would drag the
 * watermark, and with it every timer and expiry, into the future.
 */
public class ClickRecordDeserializer implements KafkaRecordDeserializationSchema<SourceRecord> {
    private static final int MAX_MESSAGE_BYTES = 1 << 20;
    private final long maxFutureMs;
    private transient AvroSerde<ClickEvent> serde;

    public ClickRecordDeserializer(long maxFutureMs) {
        this.maxFutureMs = maxFutureMs;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SourceRecord> out) {
        if (serde == null) {
            serde = AvroSerde.clickEvents();
        }
        long readAt = System.currentTimeMillis();
        byte[] raw = record.value();
        String reason;
        if (raw == null) {
            reason = "null value";
        } else if (raw.length > MAX_MESSAGE_BYTES) {
            reason = "message of " + raw.length + " bytes exceeds " + MAX_MESSAGE_BYTES;
        } else {
            try {
                ClickEvent e = serde.decode(raw);
                reason = ClickEventValidator.problem(e);
                long ahead = e.getEventTime() - System.currentTimeMillis();
                if (reason == null && ahead > maxFutureMs) {
                    reason = "event_time " + e.getEventTime() + " is " + ahead + " ms ahead of the clock (max.future.ms "
                            + maxFutureMs + ")";
                }
                if (reason == null) {
                    out.collect(SourceRecord.valid(e, raw, record.timestamp(), readAt));
                    return;
                }
            } catch (MalformedMessageException e) {
                reason = e.getMessage();
            } catch (RuntimeException e) {
                reason = "undecodable: " + e;
            }
        }
        out.collect(SourceRecord.invalid(reason, raw, record.topic(), record.partition(), record.offset()));
    }

    @Override
    public TypeInformation<SourceRecord> getProducedType() {
        return TypeInformation.of(SourceRecord.class);
    }
}
