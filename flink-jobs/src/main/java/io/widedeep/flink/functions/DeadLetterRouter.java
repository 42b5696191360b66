package io.widedeep.flink.functions;

import io.widedeep.flink.records.SourceRecord;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.DeadLetter;
import java.nio.ByteBuffer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Passes valid records on and sends the others, as Avro {@link DeadLetter}s, to a side output. */
public class DeadLetterRouter extends ProcessFunction<SourceRecord, SourceRecord> {
    public static final OutputTag<byte[]> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(byte[].class));

    private transient AvroSerde<DeadLetter> serde;
    private transient Counter deadLetters;

    @Override
    public void open(OpenContext ctx) {
        serde = AvroSerde.deadLetters();
        deadLetters = getRuntimeContext().getMetricGroup().counter("dead_letters");
    }

    @Override
    public void processElement(SourceRecord r, Context ctx, Collector<SourceRecord> out) {
        if (r.valid) {
            out.collect(r);
            return;
        }
        deadLetters.inc();
        ctx.output(DEAD_LETTERS, serde.encode(DeadLetter.newBuilder()
                .setReason(r.reason).setSourceTopic(r.topic).setSourcePartition(r.partition)
                .setSourceOffset(r.offset).setRaw(ByteBuffer.wrap(r.raw))
                .setDetectedAt(System.currentTimeMillis()).build()));
    }
}
