package io.widedeep.bench.stream;

import io.widedeep.core.events.ClickEventValidator;
import io.widedeep.datasets.Pacer;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.ConfigException;
import io.widedeep.core.config.OptionSet;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.bench.Bench;
import io.widedeep.core.config.Settings;
import io.widedeep.datasets.EventReader;
import io.widedeep.datasets.Readers;
import io.widedeep.core.metrics.FreshnessBreakdown;
import io.widedeep.core.metrics.LatencyHistogram;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateAssembler;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.TrainingJob;
import io.widedeep.flink.testing.StepFailures;
import io.widedeep.embedded.EmbeddedKafka;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.ModelUpdateChunk;
import io.widedeep.serving.registry.ModelRegistry;
import io.widedeep.serving.registry.UpdateFeed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code widedeep stream-bench}: the whole pipeline on this machine, with a real in-process broker
 * and the job on a MiniCluster (RocksDB, checkpoints).
 * <ul>
 *   <li>{@code --mode throughput}: a labelled file is loaded into Kafka first, then the job trains
 *   on it; the rate is measured between the first and the last update (job start-up excluded) and
 *   compared with the bare learner ({@code bench}) on the same data in the same JVM.</li>
 *   <li>{@code --mode freshness}: events are written at {@code --rate} per second, stamped with their
 *   write time; for each event, freshness is the time until a consumer of the updates topic sees an
 *   update that learned from it (p50, p99, max). A server's update path (its feed and registry)
 *   applies the updates as they come; the per-stage table it builds from the updates' breakdowns
 *   ({@code FreshnessBreakdown}) is printed before the JSON line, whose {@code event_to_update_*} and
 *   {@code event_to_applied_*} figures come from it. The measured window follows
 *   {@code --warmup.seconds} of the same traffic: for about half a minute after a start the JIT
 *   compilers (the broker's, Flink's and the learner's code, in this one JVM) take up to a core, and a
 *   young model's log compacts at every other checkpoint (its increments outweigh its small base): the
 *   trainer's steps then take two to four times as long for seconds at a time, which a job that has
 *   run for a while does not see. {@code sent_events_per_sec} is the rate
 *   the load generator achieved in the window, below {@code --rate} when the machine is saturated.</li>
 *   <li>{@code --mode restore}: the throughput run with the trainer failing three times (at a quarter,
 *   half and three quarters of the data); for each restore, the time from the last update before the
 *   failure to the first update of the restored epoch, and how much of it the trainer's own
 *   initialisation (restoring the model) took.</li>
 * </ul>
 */
public final class StreamingBench {
    private static final TopicPartition UPDATES = new TopicPartition("model-updates", 0);
    /** The streaming bench's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep stream-bench --mode throughput|freshness|restore --data FILE --format FMT [options]
            Runs the whole job (Kafka, Flink MiniCluster with RocksDB and checkpoints) on a file and prints one
            JSON line: examples/s end to end, the event-to-update delay, or the time to recover from failures.""")
            .table("""
                mode            throughput  throughput|freshness|restore  throughput, freshness or restore
                data            required    text                          the file to stream
                format          criteo      text                          its format: %s
                spec            -           text                          feature spec JSON file (default: the format's built-in spec)
                limit           200_000     1..                           events read from the file
                rate            2000        1..1_000_000                  freshness mode: events per second
                seconds         30          5..3600                       freshness mode: how long to measure
                warmup.seconds  30          0..3600                       freshness mode: events written at the rate before the measured ones (the JIT compilers, a young model's first log compactions)
                """.formatted(String.join(", ", Readers.FORMATS)))
            .from(JobOptions.OPTIONS, "parallelism", "trainer.parallelism", "publish.min.interval.ms", "publish.dense.interval.ms", "rocksdb.threads", "batch.max.wait.ms", "full.snapshot.interval.ms",
                    "checkpoint.interval.ms", "checkpoint.model"); // passed on to the job

    public static void main(String[] argv) throws Exception {
        Settings s = CommandLine.parseOrExit("stream-bench", () -> OPTIONS.parse(argv));
        try {
            System.out.println(run(s));
        } catch (ConfigException e) {
            System.err.println("widedeep stream-bench: " + e.getMessage());
            System.exit(2);
        }
        System.exit(0);
    }

    static String run(Settings s) throws Exception {
        String mode = s.choice("mode");
        String format = s.string("format");
        Path data = Path.of(s.string("data"));
        long limit = s.longValue("limit");
        Path work = Files.createTempDirectory("widedeep-stream-bench");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null)) {
            kafka.createTopic("clicks", 2, Map.of());
            kafka.createTopic("clicks-dlq", 1, Map.of());
            kafka.createTopic("model-updates", 1, Map.of("max.message.bytes", String.valueOf(2 << 20)));
            FeatureSpec spec = s.has("spec") ? FeatureSpec.load(Path.of(s.string("spec"))) : Readers.defaultSpec(format);
            Path specFile = work.resolve("spec.json");
            Files.writeString(specFile, spec.json());
            List<byte[]> events = load(format, data, spec, limit);
            List<String> args = new ArrayList<>(List.of("--bootstrap.servers", kafka.bootstrapServers(),
                    "--spec", specFile.toString(), "--starting.offsets", "earliest", "--idleness.ms", "1000",
                    "--checkpoint.dir", work.resolve("cp").toUri().toString(),
                    "--checkpoint.interval.ms", s.string("checkpoint.interval.ms"),
                    "--publish.min.interval.ms", s.string("publish.min.interval.ms"),
                    "--parallelism", s.string("parallelism"), "--trainer.parallelism", s.string("trainer.parallelism"),
                    "--trainer.bind.host", "127.0.0.1", "--batch.max.wait.ms", s.string("batch.max.wait.ms"),
                    "--checkpoint.model", s.string("checkpoint.model"), "--full.snapshot.interval.ms", s.string("full.snapshot.interval.ms"),
                    "--publish.dense.interval.ms", s.string("publish.dense.interval.ms"), "--rocksdb.threads", s.string("rocksdb.threads")));
            ObjectNode out = new ObjectMapper().createObjectNode();
            out.put("mode", mode);
            out.put("format", format);
            if (mode.equals("throughput")) {
                throughput(kafka, events, args, out, format, data, limit);
            } else if (mode.equals("restore")) {
                restore(kafka, events, args, out);
            } else {
                freshness(kafka, events, args, out, s.longValue("rate"), s.longValue("seconds"),
                        s.longValue("warmup.seconds"));
            }
            return out.toString();
        }
    }

    private static List<byte[]> load(String format, Path data, FeatureSpec spec, long limit) throws Exception {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        List<byte[]> out = new ArrayList<>();
        try (EventReader r = Readers.open(format, data, spec)) {
            while (r.hasNext() && out.size() < limit) {
                ClickEvent e = r.next();
                if (e.getEventTime() < ClickEventValidator.MIN_TIME) e.setEventTime(1_700_000_000_000L + e.getEventTime());
                out.add(serde.encode(e));
            }
        }
        return out;
    }

    private static void throughput(EmbeddedKafka kafka, List<byte[]> events, List<String> args, ObjectNode out,
                                   String format, Path data, long limit) throws Exception {
        long t0 = System.nanoTime();
        load(kafka, events);
        out.put("load_seconds", round((System.nanoTime() - t0) / 1e9));
        args.addAll(List.of("--bounded", "true"));
        JobClient job = TrainingJob.start(new JobOptions(args.toArray(new String[0])), new Configuration());
        job.getJobExecutionResult().get();
        List<ModelUpdate> updates = readUpdates(kafka);
        ModelUpdate first = updates.stream().filter(u -> u.trainedExamples() > 0).findFirst().orElseThrow();
        ModelUpdate last = updates.get(updates.size() - 1);
        double seconds = (last.createdAt() - first.createdAt()) / 1000.0;
        double rate = (last.trainedExamples() - first.trainedExamples()) / seconds;
        out.put("examples", last.trainedExamples());
        out.put("examples_per_sec", Math.round(rate));
        out.put("pv_logloss", round(last.validation().logLoss()));
        ObjectNode bare = (ObjectNode) new ObjectMapper().readTree(Bench.run(Bench.OPTIONS.parse(
                new String[] {"--data", data.toString(), "--format", format, "--limit", String.valueOf(limit), "--quiet"})));
        out.put("bare_learner_examples_per_sec", bare.get("examples_per_sec").asLong());
        out.put("ratio_to_bare_learner", round(rate / bare.get("examples_per_sec").asDouble()));
        out.put("updates", updates.size());
    }

    private static void load(EmbeddedKafka kafka, List<byte[]> events) {
        try (KafkaProducer<byte[], byte[]> p = producer(kafka)) {
            for (byte[] e : events) p.send(new ProducerRecord<>("clicks", e));
            p.flush();
        }
    }

    private static List<ModelUpdate> readUpdates(EmbeddedKafka kafka) throws Exception {
        List<ModelUpdate> updates = new ArrayList<>();
        UpdateAssembler a = new UpdateAssembler();
        AvroSerde<ModelUpdateChunk> serde = AvroSerde.modelUpdates();
        try (KafkaConsumer<byte[], byte[]> c = updatesFromStart(kafka)) {
            long end = c.endOffsets(List.of(UPDATES)).get(UPDATES);
            while (c.position(UPDATES) < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    ModelUpdate u = a.accept(serde.decode(r.value()));
                    if (u != null) updates.add(u);
                }
            }
        }
        return updates;
    }

    private static void restore(EmbeddedKafka kafka, List<byte[]> events, List<String> args, ObjectNode out)
            throws Exception {
        load(kafka, events);
        int n = events.size();
        args.addAll(List.of("--bounded", "true", "--checkpoint.interval.ms", "2000"));
        TrainingJob.start(new JobOptions(args.toArray(new String[0])), new Configuration(),
                steps -> StepFailures.after(steps, n / 4, n / 2, 3L * n / 4)).getJobExecutionResult().get();
        List<ModelUpdate> updates = readUpdates(kafka);
        var gaps = out.putArray("restore_ms");
        var init = out.putArray("restored_epoch_to_first_update_ms");
        var restored = out.putArray("restored_examples");
        for (int i = 1; i < updates.size(); i++) {
            ModelUpdate before = updates.get(i - 1), after = updates.get(i);
            if (after.epoch() != before.epoch()) {
                gaps.add(after.createdAt() - before.createdAt());
                init.add(after.createdAt() - after.epoch()); // the epoch is the wall clock when the trainer began restoring
                restored.add(after.trainedExamples());
            }
        }
        out.put("examples", updates.get(updates.size() - 1).trainedExamples());
        out.put("events", n);
    }

    private static void freshness(EmbeddedKafka kafka, List<byte[]> events, List<String> args, ObjectNode out,
                                  long rate, long seconds, long warmupSeconds) throws Exception {
        JobClient job = TrainingJob.start(new JobOptions(args.toArray(new String[0])), new Configuration());
        int warmup = (int) (rate * warmupSeconds);
        int total = (int) (rate * seconds);
        long[] writeTimes = new long[total];
        AtomicBoolean done = new AtomicBoolean();
        List<Seen> seen = new ArrayList<>();
        Thread reader = updateReader(kafka, done, seen);
        reader.start();
        // a server's update path (the feed and the registry the server runs) applies every update as it comes
        Properties serverKafka = new Properties();
        serverKafka.put("bootstrap.servers", kafka.bootstrapServers());
        UpdateFeed server = new UpdateFeed(new ModelRegistry(), serverKafka, UPDATES.topic(), null, 10_000);
        Thread serverThread = new Thread(server, "server-updates");
        serverThread.setDaemon(true);
        serverThread.start();
        byte[][] stamped = stamp(events, warmup + total, rate);
        try (KafkaProducer<byte[], byte[]> p = producer(kafka)) {
            Pacer pacer = new Pacer(rate);
            for (int i = 0; i < stamped.length; i++) {
                pacer.awaitTurn();
                if (i == warmup) server.freshness().reset(); // the measured window begins
                if (i >= warmup) writeTimes[i - warmup] = System.currentTimeMillis();
                p.send(new ProducerRecord<>("clicks", stamped[i]));
            }
            p.flush();
        }
        Thread.sleep(3000);
        done.set(true);
        reader.join();
        server.close();
        job.cancel().get();
        FreshnessBreakdown served = server.freshness().snapshot();
        System.out.print(served.table());
        putQuantiles(out, "event_to_update", served.stage(FreshnessBreakdown.Stage.EVENT_TO_UPDATE));
        putQuantiles(out, "event_to_applied", served.stage(FreshnessBreakdown.Stage.EVENT_TO_APPLIED));
        putUpdateFigures(out, writeTimes, seen, rate);
        // below the rate asked for when the machine cannot also run the load generator at it
        out.put("sent_events_per_sec", Math.round((total - 1) * 1000.0 / Math.max(1, writeTimes[total - 1] - writeTimes[0])));
    }

    /** A thread that reads every update from the start of the topic, noting when each arrived, until {@code done}. */
    private static Thread updateReader(EmbeddedKafka kafka, AtomicBoolean done, List<Seen> seen) {
        return new Thread(() -> {
            UpdateAssembler a = new UpdateAssembler();
            AvroSerde<ModelUpdateChunk> us = AvroSerde.modelUpdates();
            try (KafkaConsumer<byte[], byte[]> c = updatesFromStart(kafka)) {
                while (!done.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(20))) {
                        ModelUpdate u = a.accept(us.decode(r.value()));
                        if (u != null) {
                            synchronized (seen) {
                                seen.add(new Seen(u.maxEventTime(), System.currentTimeMillis(), u.payload().length, u.full()));
                            }
                        }
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /**
     * The events to send, re-encoded with the time each is due ({@code rate} a second from a start at
     * least 8 s away, for the job to start), a replayed event under a new id (a new event, not a retry):
     * done while the job starts, so that the load generator then only sends bytes and leaves the cores
     * to the pipeline it measures. Returns when the first is due. The start allows for the stamping
     * itself (timed on a sample): a minute of warm-up at 10,000 a second takes longer than the job's
     * start, and events sent late against their stamped times would count as stale.
     */
    private static byte[][] stamp(List<byte[]> events, int count, long rate) throws Exception {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        byte[][] stamped = new byte[count][];
        int sample = Math.min(count, 5_000);
        long t0 = System.nanoTime();
        for (int i = 0; i < sample; i++) stamped[i] = stamp(serde, events, i, 0, rate);
        long estimateMs = (System.nanoTime() - t0) * count / sample / 1_000_000;
        long due = System.currentTimeMillis() + Math.max(8000, 2 * estimateMs + 2000);
        for (int i = 0; i < count; i++) stamped[i] = stamp(serde, events, i, due, rate);
        long wait = due - System.currentTimeMillis();
        if (wait < 0) throw new IllegalStateException("stamping the events took longer than planned");
        Thread.sleep(wait);
        return stamped;
    }

    private static byte[] stamp(AvroSerde<ClickEvent> serde, List<byte[]> events, int i, long due, long rate) throws Exception {
        ClickEvent e = serde.decode(events.get(i % events.size()));
        if (i >= events.size()) e.setEventId(e.getEventId() + "/" + i / events.size());
        e.setEventTime(due + i * 1000L / rate);
        return serde.encode(e);
    }

    /** Freshness as the bench's own consumer saw it (each sent event to the first update past it) and the deltas' sizes. */
    private static void putUpdateFigures(ObjectNode out, long[] writeTimes, List<Seen> seen, long rate) {
        int total = writeTimes.length;
        long[] fresh = new long[total];
        int n = 0;
        synchronized (seen) {
            for (int i = 0; i < total; i++) {
                long t = writeTimes[i];
                for (Seen u : seen) {
                    if (u.maxEventTime() >= t) {
                        fresh[n++] = u.receivedAt() - t;
                        break;
                    }
                }
            }
        }
        long deltaBytes = 0;
        int deltas = 0;
        synchronized (seen) {
            for (Seen u : seen) {
                if (!u.full()) {
                    deltaBytes += u.bytes();
                    deltas++;
                }
            }
        }
        out.put("deltas", deltas);
        out.put("delta_mean_bytes", deltas == 0 ? 0 : deltaBytes / deltas);
        long[] f = Arrays.copyOf(fresh, n);
        Arrays.sort(f);
        out.put("events", total);
        out.put("events_with_update", n);
        out.put("rate", rate);
        out.put("freshness_p50_ms", f[n / 2]);
        out.put("freshness_p99_ms", f[(int) (n * 0.99)]);
        out.put("freshness_max_ms", f[n - 1]);
    }

    /** An update the bench's consumer read: the newest event it learned from, when it arrived, its size. */
    private record Seen(long maxEventTime, long receivedAt, int bytes, boolean full) {}

    /** A breakdown stage's quantiles (bucket upper bounds, at most 1/16 above the true value). */
    private static void putQuantiles(ObjectNode out, String name, LatencyHistogram h) {
        out.put(name + "_examples", h.count());
        out.put(name + "_p50_ms", h.quantile(0.5));
        out.put(name + "_p99_ms", h.quantile(0.99));
        out.put(name + "_max_ms", h.max());
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("linger.ms", "2");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer of the updates topic's one partition ({@link #UPDATES}), from its first record. */
    private static KafkaConsumer<byte[], byte[]> updatesFromStart(EmbeddedKafka kafka) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("max.partition.fetch.bytes", String.valueOf(4 << 20));
        p.put("fetch.max.wait.ms", "10");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        c.assign(List.of(UPDATES));
        c.seekToBeginning(List.of(UPDATES));
        return c;
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
