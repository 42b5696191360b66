package io.widedeep.serving;

import io.widedeep.core.TestData;
import io.widedeep.core.metrics.FreshnessBreakdown;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateMetadata;
import io.widedeep.core.updates.UpdateChunker;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ModelUpdateChunk;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A trainer in the test: trains on random batches and publishes like the job does. */
final class UpdatePublisher implements AutoCloseable {
    final FeatureSpec spec;
    final WideDeepModel model;
    final KafkaProducer<byte[], byte[]> producer;
    final String topic;
    final AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
    final long epoch;
    long version;
    int seed;

    UpdatePublisher(String bootstrap, String topic, long epoch) {
        this(bootstrap, topic, epoch, TestData.SMALL_SPEC);
    }

    UpdatePublisher(String bootstrap, String topic, long epoch, String specJson) {
        spec = FeatureSpec.parse(specJson);
        model = WideDeepModel.create(spec);
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.epoch = epoch;
    }

    ModelUpdate next(boolean full) {
        model.trainBatch(TestData.batch(spec, 16, seed++), null);
        byte[] payload = full ? ModelCodec.encodeFull(model, false) : ModelCodec.encodeDelta(model);
        ModelCodec.clearChanges(model);
        long base = version++;
        UpdateMetadata.Validation pv = new UpdateMetadata.Validation(0, 0, 3 * version, 0, 0, 0, 0); // 3v late clicks
        return new ModelUpdate(new UpdateMetadata(epoch, version, full, full ? -1 : base, model.trainedExamples(),
                System.currentTimeMillis(), model.maxEventTime(), pv), payload, freshness().encode());
    }

    /** What the job reports for a batch of 16 examples: 5 ms in the source, 40 ms from Kafka to the update. */
    static FreshnessBreakdown freshness() {
        FreshnessBreakdown f = new FreshnessBreakdown();
        f.stage(FreshnessBreakdown.Stage.SOURCE).record(5, 16);
        f.stage(FreshnessBreakdown.Stage.EVENT_TO_UPDATE).record(40, 16);
        return f;
    }

    void send(ModelUpdate u) {
        for (ModelUpdateChunk c : UpdateChunker.split(u, 4096)) {
            producer.send(new ProducerRecord<>(topic, serde.encode(c)));
        }
        producer.flush();
    }

    void sendChunks(List<ModelUpdateChunk> chunks) {
        for (ModelUpdateChunk c : chunks) producer.send(new ProducerRecord<>(topic, serde.encode(c)));
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
