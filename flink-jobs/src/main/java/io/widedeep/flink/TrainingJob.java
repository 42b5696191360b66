package io.widedeep.flink;

import io.widedeep.core.config.CommandLine;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.flink.functions.ClickRecordDeserializer;
import io.widedeep.flink.functions.DeadLetterRouter;
import io.widedeep.flink.functions.DeadLetterSink;
import io.widedeep.flink.functions.ImpressionClickJoiner;
import io.widedeep.flink.functions.ItemFeaturesPublisher;
import io.widedeep.flink.functions.OnlineTrainer;
import io.widedeep.flink.functions.StepAssigner;
import io.widedeep.flink.functions.TrainerOperator;
import io.widedeep.flink.records.KeyedRecord;
import io.widedeep.flink.records.SourceRecord;
import io.widedeep.flink.records.TrainingStep;
import java.time.Duration;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The streaming trainer: clicks from Kafka, decoded and validated (bad records to the dead-letter
 * topic), joined per user into labelled examples with history features, trained on by one online
 * Wide &amp; Deep learner, whose updates go to the model-updates topic.
 *
 * <pre>
 * flink run widedeep-flink-jobs-*-job.jar --bootstrap.servers kafka:9092 --spec criteo [--config job.properties]
 * </pre>
 */
public final class TrainingJob {
    private TrainingJob() {}

    public static void main(String[] args) throws Exception {
        JobOptions options = CommandLine.parseOrExit("train", () -> new JobOptions(args));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration(options));
        build(env, options);
        env.execute(options.jobName);
    }

    /** Starts the job without waiting for it (local runs, tests). */
    public static JobClient start(JobOptions options, Configuration extra) throws Exception {
        return start(options, extra, UnaryOperator.identity());
    }

    /**
     * Starts the job with {@code beforeTraining} applied to the training steps on their way to the
     * trainers: the seam where tests and the restore benchmark inject failures.
     */
    public static JobClient start(JobOptions options, Configuration extra,
                                  UnaryOperator<DataStream<TrainingStep>> beforeTraining) throws Exception {
        Configuration conf = configuration(options);
        conf.addAll(extra);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        build(env, options, beforeTraining);
        return env.executeAsync(options.jobName);
    }

    /** RocksDB keyed state, incremental checkpoints, restarts: set per job so `flink run` gets them too. */
    public static Configuration configuration(JobOptions o) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, o.checkpointDir);
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        // The joiner's state churns: each impression is parked, moved to the trained negatives and
        // deleted an hour later, each event id is remembered for dedup.ttl, and every checkpoint
        // flushes a small file per state. RocksDB's default shape (one 256 MB level above level 0)
        // made every level-0 compaction rewrite the whole state, and every incremental checkpoint
        // upload it again. Levels sized from the bottom (base 16 MB, 4 MB files) rewrite a tenth.
        conf.set(RocksDBConfigurableOptions.USE_DYNAMIC_LEVEL_SIZE, true);
        conf.set(RocksDBConfigurableOptions.MAX_SIZE_LEVEL_BASE, MemorySize.ofMebiBytes(16));
        conf.set(RocksDBConfigurableOptions.TARGET_FILE_SIZE_BASE, MemorySize.ofMebiBytes(4));
        // most lookups miss (a new event id, a click's early arrival): a Bloom filter answers them
        // without reading every level-0 file
        conf.set(RocksDBConfigurableOptions.USE_BLOOM_FILTER, true);
        // RocksDB's flushes and compactions run on native threads the JVM cannot see; two per joiner
        // instance (Flink's default) took both cores of a small TaskManager for half a second at a time
        // and stalled the whole pipeline, trainers included (stream-bench --mode freshness)
        conf.set(RocksDBConfigurableOptions.MAX_BACKGROUND_THREADS, o.rocksdbThreads);
        // Operator state (the trainer's model) restores through a decompressing stream that reads in
        // blocks; the uncompressed path reads local checkpoint files one byte per system call, which
        // made every restore cost seconds per 100 MB of model (measured with stream-bench --mode restore).
        conf.set(ExecutionOptions.SNAPSHOT_COMPRESSION, true);
        // a cancelled or crashed job leaves its last checkpoint to resume from (flink run -s, ./widedeep train)
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        // A barrier must reach every trainer after the same training step (they checkpoint one model):
        // an unaligned barrier overtakes the steps in flight, so each trainer would checkpoint another step.
        conf.set(CheckpointingOptions.ENABLE_UNALIGNED, false);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, o.restartAttempts);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return conf;
    }

    public static void build(StreamExecutionEnvironment env, JobOptions o) {
        build(env, o, UnaryOperator.identity());
    }

    static void build(StreamExecutionEnvironment env, JobOptions o, UnaryOperator<DataStream<TrainingStep>> beforeTraining) {
        // before the graph exists: a sink to a topic that is missing would block the joiner it is chained to
        ServingFeaturesTopic.ensure(o);
        env.enableCheckpointing(o.checkpointIntervalMs, CheckpointingMode.EXACTLY_ONCE);
        if (env.getCheckpointConfig().isUnalignedCheckpointsEnabled()) {
            throw new IllegalArgumentException(CheckpointingOptions.ENABLE_UNALIGNED.key() + " is true in the cluster's "
                    + "configuration: the trainers need aligned checkpoints (a barrier must find every trainer after the "
                    + "same step). Set it to false for this job (-D" + CheckpointingOptions.ENABLE_UNALIGNED.key() + "=false)");
        }
        env.setParallelism(o.parallelism);
        env.setBufferTimeout(o.bufferTimeoutMs); // freshness: do not hold records back for full network buffers

        // uids are the names state is stored under: stable across code changes, so savepoints restore
        DataStream<SourceRecord> records = env.fromSource(clicksSource(o), watermarks(o), "clicks").uid("clicks-source");
        SingleOutputStreamOperator<SourceRecord> events = records.process(new DeadLetterRouter(o.dlqMaxRawBytes))
                .name("validate").uid("validate");
        events.getSideOutput(DeadLetterRouter.DEAD_LETTERS).sinkTo(new DeadLetterSink(o.dlqTopic, producerConfig(o)))
                .name("dead letters").uid("dead-letters");

        SingleOutputStreamOperator<FeatureRow> examples = events
                .keyBy(r -> r.userId)
                .process(new ImpressionClickJoiner(o.specJson, o.joinTimes, o.features))
                .name("join impressions and clicks").uid("joiner");

        // serving features: what the joiner built the examples from, for servers to score with
        DataStream<KeyedRecord> items = examples.getSideOutput(ImpressionClickJoiner.ITEMS_SHOWN)
                .keyBy(s -> s.itemId)
                .process(new ItemFeaturesPublisher(o.features, o.spec().fingerprint()))
                .name("item features").uid("item-features");
        examples.getSideOutput(ImpressionClickJoiner.USER_FEATURES).union(items)
                .sinkTo(keyedSink(o, o.features.topic())).name("serving features").uid("serving-features");

        // one sequence of global steps, each sent whole to every trainer: the trainers hold one model.
        // A step and an update are each a whole unit of work, tens of kilobytes: they leave as soon as
        // they are emitted (buffer timeout 0) instead of waiting up to buffer.timeout.ms for the
        // network buffer they partly fill (the train stage's median went from 22 to 11 ms at 2,000/s)
        DataStream<TrainingStep> steps = examples.keyBy(r -> 0)
                .process(new StepAssigner(o.spec().batchSize(), o.batchMaxWaitMs, o.publish))
                .name("assign training steps").uid("step-assigner").setParallelism(1).setMaxParallelism(1)
                .setBufferTimeout(0);
        beforeTraining.apply(steps).broadcast()
                .transform("train", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO, new TrainerOperator(new OnlineTrainer(o)))
                .uid("trainer").setParallelism(o.trainers.parallelism()).setBufferTimeout(0)
                .sinkTo(bytesSink(o, o.updatesTopic)).name("model updates").uid("model-updates").setParallelism(1);
    }

    static KafkaSource<SourceRecord> clicksSource(JobOptions o) {
        OffsetsInitializer start = switch (o.startingOffsets) {
            case "earliest" -> OffsetsInitializer.earliest();
            case "latest" -> OffsetsInitializer.latest();
            default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
        var builder = KafkaSource.<SourceRecord>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setTopics(o.clicksTopic)
                .setGroupId(o.groupId)
                .setStartingOffsets(start)
                .setDeserializer(new ClickRecordDeserializer(o.maxFutureMs))
                .setProperties(consumerConfig(o));
        if (o.bounded) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    static WatermarkStrategy<SourceRecord> watermarks(JobOptions o) {
        WatermarkStrategy<SourceRecord> w = WatermarkStrategy
                .<SourceRecord>forBoundedOutOfOrderness(Duration.ofMillis(o.outOfOrdernessMs))
                // a dead letter has no event time: it must not move the watermark
                .withTimestampAssigner((r, kafkaTime) -> r.valid ? r.eventTime : TimestampAssigner.NO_TIMESTAMP);
        return o.idlenessMs > 0 ? w.withIdleness(Duration.ofMillis(o.idlenessMs)) : w;
    }

    /**
     * Messages that are already encoded (Avro single-object) go out as they are, stamped with the
     * wall clock: the stream's event times are old (replays) or synthetic (end of input), and
     * brokers apply retention and timestamp checks to record timestamps.
     */
    static final class RawBytes implements KafkaRecordSerializationSchema<byte[]> {
        private final String topic;

        RawBytes(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(byte[] element, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, System.currentTimeMillis(), null, element);
        }
    }

    /**
     * Fetches of up to 64 KB or 20 ms: by default the broker answers each fetch as soon as one
     * produce batch arrives, a request every few events, which cost the broker and the source more
     * CPU than the joiner. The wait is what an event spends in the source stage on a quiet stream,
     * so it is kept small beside the quarter second an event may take to the served model.
     */
    static Properties consumerConfig(JobOptions o) {
        Properties consumer = new Properties();
        consumer.putAll(o.kafka);
        consumer.putIfAbsent("fetch.min.bytes", "65536");
        consumer.putIfAbsent("fetch.max.wait.ms", "20");
        return consumer;
    }

    static Properties producerConfig(JobOptions o) {
        Properties producer = new Properties();
        producer.putAll(o.kafka);
        producer.put("bootstrap.servers", o.bootstrapServers);
        // a chunk plus its envelope must fit in one request
        producer.putIfAbsent("max.request.size", String.valueOf(o.publish.chunkBytes() + (64 << 10)));
        producer.putIfAbsent("linger.ms", "5");
        return producer;
    }

    /** Keyed records as they are, stamped with the wall clock (see {@link RawBytes}). */
    static final class Keyed implements KafkaRecordSerializationSchema<KeyedRecord> {
        private final String topic;

        Keyed(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(KeyedRecord r, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, System.currentTimeMillis(), r.key, r.value);
        }
    }

    /**
     * Serving features, at least once: a restored job replays the records since its checkpoint, each
     * a whole state with its sequence, so readers keep the newest and the compacted topic ends where it was.
     */
    static KafkaSink<KeyedRecord> keyedSink(JobOptions o, String topic) {
        return atLeastOnce(o, new Keyed(topic));
    }

    static KafkaSink<byte[]> bytesSink(JobOptions o, String topic) {
        return atLeastOnce(o, new RawBytes(topic));
    }

    private static <T> KafkaSink<T> atLeastOnce(JobOptions o, KafkaRecordSerializationSchema<T> serializer) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setKafkaProducerConfig(producerConfig(o))
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }
}
