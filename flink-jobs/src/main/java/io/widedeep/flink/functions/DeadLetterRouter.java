package io.widedeep.flink.functions;

import io.widedeep.flink.records.SourceRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Passes valid records on and sends the others, as Avro {@link DeadLetter}s, to a side output.
 * A dead letter keeps at most {@code maxRawBytes} of the original, with its full length and
 * SHA-256, so that it always fits in one Kafka request however large the bad record was.
 */
public class DeadLetterRouter extends ProcessFunction<SourceRecord, SourceRecord> {
    public static final OutputTag<byte[]> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(byte[].class));

    private final int maxRawBytes;
    private transient AvroSerde<DeadLetter> serde;
    private transient Counter deadLetters;

    public DeadLetterRouter(int maxRawBytes) {
        this.maxRawBytes = maxRawBytes;
    }

    @Override
    public void open(OpenContext ctx) {
        serde = AvroSerde.deadLetters();
        deadLetters = getRuntimeContext().getMetricGroup().counter("dead_letters");
    }

    @Override
    public void processElement(SourceRecord r, Context ctx, Collector<SourceRecord> out) {
        if (r.valid) {
            r.validatedAt = System.currentTimeMillis();
            out.collect(r);
            return;
        }
        deadLetters.inc();
        ctx.output(DEAD_LETTERS, serde.encode(DeadLetter.newBuilder()
                .setReason(r.reason).setSourceTopic(r.topic).setSourcePartition(r.partition)
                .setSourceOffset(r.offset).setRaw(ByteBuffer.wrap(r.raw, 0, Math.min(r.raw.length, maxRawBytes)))
                .setRawLength(r.raw.length).setRawSha256(sha256(r.raw))
                .setDetectedAt(System.currentTimeMillis()).build()));
    }

    /** Hex SHA-256 of the whole record, so a truncated dead letter still identifies it. */
    private static String sha256(byte[] raw) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
