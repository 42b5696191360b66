package io.widedeep.flink;

import io.widedeep.core.config.ConfigException;
import io.widedeep.core.config.OptionException;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.flink.records.FeaturePublishing;
import io.widedeep.flink.records.GatePolicy;
import io.widedeep.flink.records.JoinTimes;
import io.widedeep.flink.records.PublishPolicy;
import io.widedeep.flink.records.TrainerSettings;
import io.widedeep.core.model.DenseBackend;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import java.util.Set;

/** The training job's options, read and checked once at start. */
public final class JobOptions implements Serializable {
    /** The training job's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep train --bootstrap.servers HOST:PORT --spec criteo|FILE [options]
            Runs the training job: reads click events from Kafka, joins clicks to impressions, trains the
            Wide & Deep model online and publishes model updates (locally on a MiniCluster, or on a cluster
            with flink run ...-job.jar and the same options).""")
            .table("""
                bootstrap.servers          required                          text                       Kafka bootstrap servers
                spec                       required                          text                       feature spec: a built-in name (criteo, avazu, movielens, obd, sim) or a JSON file
                topic.clicks               clicks                            text                       topic of click events (impressions and clicks, Avro)
                topic.dlq                  clicks-dlq                        text                       dead-letter topic for malformed events, with the reason
                topic.updates              model-updates                     text                       topic the model updates are published to
                topic.features             serving-features                  text                       compacted topic of the serving features: user histories and item attributes and popularity, as training uses them (created if missing)
                group.id                   widedeep-trainer                  text                       Kafka consumer group of the job
                job.name                   widedeep-training                 text                       Flink job name
                parallelism                1                                 1..1024                    parallelism of the source and the joiner
                trainer.parallelism        1                                 1..64                      trainer subtasks: each computes 1/N of every batch's MLP step, all hold the same model
                trainer.timeout.ms         30_000                            1000..3_600_000            a trainer that waits this long for a peer fails the job into a restart
                trainer.bind.host          -                                 text                       address the trainers exchange gradients on (default: the host's address)
                trainer.precision          float32                           float32|float64            dense math of the trainers: float32, or float64 (slower; N trainers then match one trainer to ~1e-15)
                trainer.verify.replicas    false                             true|false                 at every checkpoint, compare the trainers' weights digests and stop the job if they differ
                trainer.backend            nd4j                              nd4j|torch-cpu|torch-cuda  where each trainer's MLP passes run: ND4J, or libtorch on the CPU or on a GPU (torch-cuda: one device per trainer subtask; needs the GPU job jar, see docs/gpu.md)
                batch.max.wait.ms          100                               10..3_600_000              a batch that has not filled this long after its first row is trained as it is
                rocksdb.threads            1                                 1..64                      RocksDB flush and compaction threads per keyed operator instance: native threads that compete with training for cores
                checkpoint.interval.ms     10_000                            100..86_400_000            checkpoint interval
                checkpoint.dir             file:///tmp/widedeep/checkpoints  text                       checkpoint directory: a path or a URI (s3://, hdfs://)
                checkpoint.model           incremental                       incremental|full           the model in checkpoints: incremental (a base and the rows changed since, in checkpoint.dir/model-log) or full (the whole model each time)
                restart.attempts           10                                0..1_000_000               restarts after a failure before the job fails
                starting.offsets           committed                         earliest|latest|committed  where a new job starts reading: earliest, latest or committed
                bounded                    false                             true|false                 stop at the end of the topic as it was at start (benchmarks)
                attribution.window.ms      30_000                            1..604_800_000             how long after an impression a click still counts
                late.click.horizon.ms      3_600_000                         0..2_592_000_000           a click this long after the window still corrects its impression's negative (0: dropped)
                out.of.orderness.ms        5_000                             0..86_400_000              how late an event may arrive before the watermark passes it
                idleness.ms                10_000                            0..86_400_000              a partition without events this long stops holding the watermark
                max.future.ms              600_000                           0..31_536_000_000          events further ahead of the wall clock go to the dead-letter topic
                dlq.max.raw.bytes          65_536                            0..524_288                 bytes of a malformed record kept in its dead letter
                dedup.ttl.ms               3_600_000                         0..2_592_000_000           how long event ids are remembered to drop producer retries
                history.ttl.ms             2_592_000_000                     1000..315_360_000_000      a user's history is dropped after this long without events (30 days)
                items.ttl.ms               604_800_000                       1000..315_360_000_000      an item's serving features are dropped after this long without examples (7 days)
                features.item.interval.ms  1000                              0..3_600_000               an item's serving features are published at most this often (its newest state)
                popularity.half.life.ms    3_600_000                         1000..31_536_000_000       half-life of a click's weight in an item's popularity
                publish.min.interval.ms    100                               10..3_600_000              an update (delta) leaves after the first training step this long after the last one
                publish.dense.interval.ms  1000                              0..3_600_000               the MLP's weights (most of a delta's bytes) go out at most this often; deltas between carry the sparse rows
                publish.max.examples       65_536                            1..100_000_000             an update also leaves once it holds this many examples, however short the interval
                full.snapshot.interval.ms  60_000                            1000..86_400_000           an update this long after the last full snapshot is also published in full, after its delta
                chunk.bytes                900_000                           1024..100_000_000          largest Kafka record of an update; bigger updates are chunked
                snapshot.dir               -                                 text                       directory for full snapshots (servers start from the newest)
                snapshot.retain            10                                1..1_000_000               full snapshots kept in snapshot.dir
                quality.gate.margin        0.10                              0.0..100.0                 hold an update whose PV log loss is this much worse than the published model's
                quality.gate.window        5_000                             10..10_000_000             examples the quality gate compares over
                quality.gate.sample        4                                 1..1_000_000               the gate scores every n-th batch with the published model
                quality.gate.max.hold.ms   180_000                           0..604_800_000             longest time the gate holds updates back
                quality.gate.on.max.hold   publish                           publish|hold               after the longest hold: publish or hold
                buffer.timeout.ms          20                                0..10000                   Flink network buffer timeout (latency vs throughput)
                fresh                      false                             true|false                 local runs (./widedeep train): start a new model instead of resuming the newest retained checkpoint
                kafka.*                    -                                 -                          Kafka client properties, e.g. --kafka.security.protocol SASL_SSL
                """);

    public final String bootstrapServers;
    public final String clicksTopic;
    public final String dlqTopic;
    public final String updatesTopic;
    public final FeaturePublishing features;
    public final String groupId;
    public final String specJson;
    public final long checkpointIntervalMs;
    public final String checkpointDir;
    public final boolean incrementalCheckpoints;
    public final int parallelism;
    public final long batchMaxWaitMs;
    public final int rocksdbThreads;
    public final JoinTimes joinTimes;
    public final PublishPolicy publish;
    public final TrainerSettings trainers;
    public final GatePolicy gate;
    public final long outOfOrdernessMs;
    public final long idlenessMs;
    public final boolean bounded;
    public final String startingOffsets;
    public final int restartAttempts;
    public final String jobName;
    public final long bufferTimeoutMs;
    public final int dlqMaxRawBytes;
    public final long maxFutureMs;
    public final Properties kafka;
    public final boolean fresh;

    public JobOptions(String[] argv) {
        Settings s = OPTIONS.parse(argv);
        bootstrapServers = s.string("bootstrap.servers");
        clicksTopic = s.string("topic.clicks");
        dlqTopic = s.string("topic.dlq");
        updatesTopic = s.string("topic.updates");
        features = new FeaturePublishing(s.string("topic.features"), s.longValue("features.item.interval.ms"),
                s.longValue("items.ttl.ms"), s.longValue("popularity.half.life.ms"));
        groupId = s.string("group.id");
        specJson = loadSpec(s.string("spec"));
        checkpointIntervalMs = s.longValue("checkpoint.interval.ms");
        checkpointDir = directoryUri(s.string("checkpoint.dir"), "--checkpoint.dir");
        incrementalCheckpoints = s.choice("checkpoint.model").equals("incremental");
        parallelism = s.intValue("parallelism");
        trainers = new TrainerSettings(s.intValue("trainer.parallelism"), s.longValue("trainer.timeout.ms"),
                s.has("trainer.bind.host") ? s.string("trainer.bind.host") : null, s.bool("trainer.verify.replicas"),
                s.choice("trainer.precision").equals("float64"), DenseBackend.of(s.choice("trainer.backend")));
        batchMaxWaitMs = s.longValue("batch.max.wait.ms");
        rocksdbThreads = s.intValue("rocksdb.threads");
        outOfOrdernessMs = s.longValue("out.of.orderness.ms");
        idlenessMs = s.longValue("idleness.ms");
        bounded = s.bool("bounded");
        startingOffsets = s.choice("starting.offsets");
        restartAttempts = s.intValue("restart.attempts");
        jobName = s.string("job.name");
        bufferTimeoutMs = s.longValue("buffer.timeout.ms");
        dlqMaxRawBytes = s.intValue("dlq.max.raw.bytes");
        joinTimes = new JoinTimes(s.longValue("attribution.window.ms"),
                s.longValue("late.click.horizon.ms"), s.longValue("history.ttl.ms"),
                s.longValue("dedup.ttl.ms"));
        maxFutureMs = s.longValue("max.future.ms");
        publish = new PublishPolicy(s.longValue("publish.min.interval.ms"), s.longValue("publish.max.examples"),
                s.longValue("publish.dense.interval.ms"), s.longValue("full.snapshot.interval.ms"), s.intValue("chunk.bytes"),
                s.has("snapshot.dir") ? s.string("snapshot.dir") : null, s.intValue("snapshot.retain"));
        gate = new GatePolicy(s.doubleValue("quality.gate.margin"), s.intValue("quality.gate.window"),
                s.intValue("quality.gate.sample"), s.longValue("quality.gate.max.hold.ms"),
                s.choice("quality.gate.on.max.hold").equals("publish"));
        fresh = s.bool("fresh");
        kafka = s.withPrefix("kafka.");
    }

    public FeatureSpec spec() {
        return FeatureSpec.parse(specJson);
    }

    /** A spec file path or the name of a built-in spec; parsed now so a bad spec fails at start. */
    private static String loadSpec(String ref) {
        try {
            FeatureSpec spec = Files.isRegularFile(Path.of(ref)) ? FeatureSpec.load(Path.of(ref)) : FeatureSpec.builtIn(ref);
            return spec.json();
        } catch (ConfigException e) {
            if (e.key().equals("spec")) {
                throw new OptionException("--spec", "'" + ref + "' is neither a spec file nor a built-in spec");
            }
            throw new OptionException("--spec " + e.key(), e.getMessage().substring(e.key().length() + 2));
        }
    }

    /**
     * A directory as Flink wants it: with a scheme. A plain path (what people type locally) becomes
     * an absolute file:// URI; anything that is not a URI fails here, naming the option, instead of
     * deep inside the JobMaster at submission.
     */
    static String directoryUri(String value, String option) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null) {
                return Path.of(value).toAbsolutePath().normalize().toUri().toString();
            }
            return value;
        } catch (URISyntaxException e) {
            throw new OptionException(option, "is neither a path nor a URI: " + value + " (" + e.getReason() + ")");
        }
    }
}
