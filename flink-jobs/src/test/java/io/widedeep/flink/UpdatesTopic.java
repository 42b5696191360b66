package io.widedeep.flink;

import io.widedeep.core.updates.ModelReplica;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateAssembler;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ModelUpdateChunk;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic of bytes, and replays an updates topic into a replica by the epoch rules. */
final class UpdatesTopic {
    static List<byte[]> readAll(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("max.partition.fetch.bytes", String.valueOf(4 << 20));
        List<byte[]> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            var end = c.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) out.add(r.value());
            }
        }
        return out;
    }

    /** Every complete update in topic order. */
    static List<ModelUpdate> updates(String bootstrap, String topic) throws Exception {
        AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
        UpdateAssembler assembler = new UpdateAssembler();
        List<ModelUpdate> out = new ArrayList<>();
        for (byte[] b : readAll(bootstrap, topic)) {
            ModelUpdate u = assembler.accept(serde.decode(b));
            if (u != null) out.add(u);
        }
        return out;
    }

    static ModelReplica replay(List<ModelUpdate> updates) {
        ModelReplica replica = new ModelReplica();
        for (ModelUpdate u : updates) {
            ModelReplica.Outcome o = replica.apply(u);
            if (o == ModelReplica.Outcome.REFUSED_CORRUPT) {
                throw new AssertionError("corrupt update " + u.epoch() + "/" + u.version());
            }
        }
        return replica;
    }

    private UpdatesTopic() {}
}
