package io.widedeep.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.datasets.sim.ClickSimulator;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.flink.local.RetainedCheckpoints;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.util.ExceptionUtils;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job as an operator lives with it: stopped and started again after a downtime, killed with
 * {@code kill -9} as a whole process, stopped with a savepoint, restarted with the wrong spec.
 * Real broker, real MiniCluster with RocksDB and checkpoints; the killed trainer is a child JVM.
 */
class JobResilienceIT {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    @RegisterExtension
    static final MiniClusterExtension flink = JobCluster.extension();

    private static List<String> args(String[] t, Path dir, String spec, String... extra) {
        List<String> a = new ArrayList<>(List.of(
                "--bootstrap.servers", kafka.bootstrapServers(), "--topic.clicks", t[0], "--topic.dlq", t[1],
                "--topic.updates", t[2], "--group.id", t[0] + "-job", "--spec", spec,
                "--starting.offsets", "earliest", "--checkpoint.interval.ms", "300",
                "--checkpoint.dir", dir.resolve("checkpoints").toUri().toString(),
                "--out.of.orderness.ms", "500", "--idleness.ms", "0", "--publish.min.interval.ms", "150",
                "--full.snapshot.interval.ms", "3000"));
        Collections.addAll(a, extra);
        return a;
    }

    private static Path specFile(Path dir, String json) throws Exception {
        Path spec = dir.resolve("spec-" + Integer.toHexString(json.hashCode()) + ".json");
        Files.writeString(spec, json);
        return spec;
    }

    private static JobClient start(List<String> args, String recoverFrom) throws Exception {
        Configuration conf = new Configuration();
        if (recoverFrom != null) conf.set(StateRecoveryOptions.SAVEPOINT_PATH, recoverFrom);
        return TrainingJob.start(new JobOptions(args.toArray(new String[0])), conf);
    }

    /** Cancels and waits until the job has terminated (its last checkpoint files are written by then). */
    private static void cancelAndWait(JobClient job) throws Exception {
        job.cancel().get(60, TimeUnit.SECONDS);
        try {
            job.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException expected) {
            // a cancelled job ends exceptionally
        }
    }

    private static Map<Long, List<ModelUpdate>> byEpoch(String topic) throws Exception {
        Map<Long, List<ModelUpdate>> epochs = new LinkedHashMap<>();
        for (ModelUpdate u : UpdatesTopic.updates(kafka.bootstrapServers(), topic)) {
            epochs.computeIfAbsent(u.epoch(), e -> new ArrayList<>()).add(u);
        }
        return epochs;
    }

    private static ModelUpdate lastUpdate(String topic) throws Exception {
        List<ModelUpdate> all = UpdatesTopic.updates(kafka.bootstrapServers(), topic);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    private static ModelUpdate awaitTrained(String topic, long atLeast, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            ModelUpdate last = lastUpdate(topic);
            if (last != null && last.trainedExamples() >= atLeast) return last;
            Thread.sleep(300);
        }
        ModelUpdate last = lastUpdate(topic);
        throw new AssertionError("trained " + (last == null ? "nothing" : last.trainedExamples()) + " < " + atLeast);
    }

    /**
     * Waits until the topic holds {@code epoch} epochs and the newest has published {@code versions}
     * updates and trained {@code examples} more than it started with.
     */
    private static void awaitEpochProgress(String topic, int epoch, int versions, long examples, long timeoutMs)
            throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String seen = "nothing";
        while (System.currentTimeMillis() < deadline) {
            Map<Long, List<ModelUpdate>> epochs = byEpoch(topic);
            if (epochs.size() == epoch) {
                List<ModelUpdate> newest = new ArrayList<>(epochs.values()).get(epoch - 1);
                long gained = newest.get(newest.size() - 1).trainedExamples() - newest.get(0).trainedExamples();
                if (newest.size() >= versions && gained >= examples) return;
                seen = newest.size() + " versions, " + gained + " examples";
            }
            Thread.sleep(500);
        }
        throw new AssertionError("epoch " + epoch + " reached only " + seen);
    }

    /**
     * One pre-labelled negative per partition, far after the stream: the watermark passes every
     * attribution window, so all pending impressions are labelled. Adds {@code partitions} examples.
     */
    private static void pushWatermark(String topic, long time, String tag) {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (int part = 0; part < 2; part++) {
                ClickEvent e = ClickStreams.event("wm-" + tag + part, EventType.IMPRESSION, "wm-" + tag + part,
                        "wm-user-" + part, "i0", time, new HashMap<>(Map.of("ugroup", "g0", "igroup", "h0")), 0);
                p.send(new ProducerRecord<>(topic, part, null, serde.encode(e)));
            }
            p.flush();
        }
    }

    /** The stream moved an hour later in event time: after the first one, not behind its watermark. */
    private static ClickStreams.Stream later(ClickStreams.Stream s) {
        for (ClickEvent e : s.events()) e.setEventTime(e.getEventTime() + 3_600_000L);
        return s;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("linger.ms", "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Test
    void clicksAfterTheWindowAreTrainedAsCorrectionsOfTheirNegatives(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("late");
        ClickStreams.Stream s = ClickStreams.impressionsAndClicks(3000, 3, 0, 0.2, 25_000);
        Map<String, Long> shownAt = new HashMap<>();
        for (ClickEvent e : s.events()) if (e.getEventType() == EventType.IMPRESSION) shownAt.put(e.getImpressionId(), e.getEventTime());
        List<ClickEvent> onTime = new ArrayList<>(), late = new ArrayList<>();
        for (ClickEvent e : s.events()) {
            boolean isLate = e.getEventType() == EventType.CLICK && e.getEventTime() - shownAt.get(e.getImpressionId()) >= 25_000;
            (isLate ? late : onTime).add(e);
        }
        assertEquals(s.lateClicks(), late.size());
        assertTrue(late.size() >= 50, "late clicks: " + late.size());
        JobClient job = start(args(t, dir, specFile(dir, ClickStreams.SPEC).toString(), "--attribution.window.ms", "10000",
                "--late.click.horizon.ms", "3600000"), null);
        try {
            // the impressions and the clicks inside their windows; then event time moves past every window
            ClickStreams.send(kafka.bootstrapServers(), t[0], ClickStreams.encode(onTime));
            pushWatermark(t[0], ClickStreams.T0 + 3_600_000L, "late");
            awaitTrained(t[2], s.impressions() + 2, 120_000);
            // every impression is trained by now, the unclicked ones as negatives; now their late clicks
            ClickStreams.send(kafka.bootstrapServers(), t[0], ClickStreams.encode(late));
            awaitTrained(t[2], s.impressions() + 2 + late.size(), 60_000);
        } finally {
            cancelAndWait(job);
        }
        ModelUpdate last = lastUpdate(t[2]);
        assertEquals(s.impressions() + 2, last.validation().examples(), "every impression scored once, late clicks not again");
        assertEquals(s.clicks() - late.size(), last.validation().positives(), "clicks inside the window: positives");
        assertEquals(late.size(), last.validation().lateClicks(), "every late click trained as a correction of its negative");
        assertEquals(s.impressions() + 2 + late.size(), last.trainedExamples());
    }

    @Test
    void servedVersionKeepsAdvancingAfterEachOfThreeRestarts(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("restarts");
        // live clicks at event time = now, as a producer in front of users writes them
        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producerThread = new Thread(() -> {
            ClickSimulator sim = new ClickSimulator(300, 120, 11);
            AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                while (producing.get()) {
                    long now = System.currentTimeMillis();
                    for (ClickEvent c : sim.clicksDue(now)) p.send(new ProducerRecord<>(t[0], c.getUserId().getBytes(), serde.encode(c)));
                    ClickEvent e = sim.impression(now);
                    p.send(new ProducerRecord<>(t[0], e.getUserId().getBytes(), serde.encode(e)));
                    Thread.sleep(2); // ~400 impressions a second
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        producerThread.start();
        // the gate is active from a few hundred examples, judging every batch
        List<String> a = args(t, dir, "sim", "--attribution.window.ms", "2000", "--quality.gate.window", "300",
                "--quality.gate.sample", "1", "--idleness.ms", "500");
        long[] downtimes = {3000, 5000, 3000}; // longer than the attribution window, and 5 s
        List<Long> stoppedAt = new ArrayList<>();
        try {
            for (int run = 0; run <= downtimes.length; run++) {
                Optional<Path> cp = RetainedCheckpoints.latest(dir.resolve("checkpoints").toString());
                assertEquals(run > 0, cp.isPresent(), "a checkpoint is retained after each stop");
                JobClient job = start(a, cp.map(p -> p.toUri().toString()).orElse(null));
                awaitEpochProgress(t[2], run + 1, 20, 1500, 90_000); // the run has trained and published for a while
                stoppedAt.add(System.currentTimeMillis());
                cancelAndWait(job);
                if (run < downtimes.length) Thread.sleep(downtimes[run]);
            }
        } finally {
            producing.set(false);
            producerThread.join(10_000);
        }

        Map<Long, List<ModelUpdate>> epochs = byEpoch(t[2]);
        assertEquals(4, epochs.size(), "one epoch per run");
        int run = 0;
        long previousTrained = 0;
        for (List<ModelUpdate> updates : epochs.values()) {
            ModelUpdate first = updates.get(0), last = updates.get(updates.size() - 1);
            assertTrue(first.full(), "each epoch opens with a full snapshot");
            if (run > 0) {
                assertTrue(first.trainedExamples() > 0 && first.trainedExamples() <= previousTrained + 1000,
                        "run " + run + " resumed the checkpointed model: " + first.trainedExamples());
            }
            assertTrue(updates.size() >= 15, "run " + run + " published " + updates.size() + " versions");
            assertTrue(stoppedAt.get(run) - last.createdAt() < 2500, "run " + run + " was still publishing "
                    + (stoppedAt.get(run) - last.createdAt()) + " ms before it stopped (version " + last.version() + ")");
            assertTrue(last.trainedExamples() > first.trainedExamples() + 1000, "run " + run + " trained");
            previousTrained = last.trainedExamples();
            run++;
        }
    }

    @Test
    void killedLocalTrainerResumesWithTheSameCommandAndTrainsEveryEventOnce(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("kill");
        ClickStreams.Stream first = ClickStreams.impressionsAndClicks(8000, 21, 2500);
        ClickStreams.send(kafka.bootstrapServers(), t[0], ClickStreams.encode(first.events()));
        pushWatermark(t[0], ClickStreams.T0 + 1_800_000L, "kill1"); // all of the first stream can be labelled
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("tmp")),
                "-cp", System.getProperty("java.class.path"), "io.widedeep.flink.local.LocalTraining"));
        Path workBase = dir.resolve("tmp").resolve("widedeep-flink");
        command.addAll(args(t, dir, specFile(dir, ClickStreams.SPEC).toString(), "--attribution.window.ms", "10000"));

        Process trainer = launch(command, dir.resolve("run1.log"));
        awaitTrained(t[2], 3000, 120_000);
        long deadline = System.currentTimeMillis() + 30_000;
        while (RetainedCheckpoints.latest(dir.resolve("checkpoints").toString()).isEmpty()) {
            assertTrue(System.currentTimeMillis() < deadline, "no checkpoint");
            Thread.sleep(100);
        }
        trainer.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
        assertTrue(trainer.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, trainer.exitValue(), "killed by SIGKILL");
        long trainedBeforeKill = lastUpdate(t[2]).trainedExamples();
        assertTrue(Files.readAllLines(dir.resolve("run1.log")).get(0).startsWith("widedeep train: starting a new model"));
        List<Path> left = runDirs(workBase);
        assertEquals(1, left.size(), "the killed run's working directory: " + left);
        try (var files = Files.walk(left.get(0))) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith(".sst")), "RocksDB worked in it");
        }

        // more events arrive while it is down
        ClickStreams.Stream second = later(ClickStreams.impressionsAndClicks(4000, 22, 2500));
        ClickStreams.send(kafka.bootstrapServers(), t[0], ClickStreams.encode(second.events()));
        pushWatermark(t[0], ClickStreams.T0 + 86_400_000L, "kill");
        long total = first.impressions() + second.impressions() + 4;

        trainer = launch(command, dir.resolve("run2.log"));
        try {
            ModelUpdate end = awaitTrained(t[2], total, 180_000);
            Thread.sleep(1000); // anything beyond the total would show up now
            assertEquals(total, lastUpdate(t[2]).trainedExamples(), "every labelled event trained exactly once");
            assertEquals(first.clicks() + second.clicks(), lastUpdate(t[2]).validation().positives(), "every click once");
            assertTrue(Files.readAllLines(dir.resolve("run2.log")).get(0).startsWith("widedeep train: resuming from checkpoint"));
            assertFalse(Files.exists(left.get(0)), "the killed run's working directory is removed by the next run");
            assertEquals(1, runDirs(workBase).size(), "only the running trainer's own");
            assertTrue(Files.readAllLines(dir.resolve("run2.log")).contains(
                    "widedeep train: removed 1 working directory left by runs that were killed"));
            Map<Long, List<ModelUpdate>> epochs = byEpoch(t[2]);
            assertEquals(2, epochs.size());
            ModelUpdate resumed = new ArrayList<>(epochs.values()).get(1).get(0);
            assertTrue(resumed.full() && resumed.trainedExamples() > 0 && resumed.trainedExamples() <= trainedBeforeKill + 64,
                    "the new epoch's first full snapshot continues the old count: " + resumed.trainedExamples()
                            + " (published before the kill: " + trainedBeforeKill + ")");
            assertEquals(resumed.epoch(), end.epoch(), "the resumed run trained to the end in the epoch it opened");
        } finally {
            trainer.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static List<Path> runDirs(Path base) throws IOException {
        try (var s = Files.list(base)) {
            return s.filter(Files::isDirectory).toList();
        }
    }

    private static Process launch(List<String> command, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.directory(new File(System.getProperty("user.dir")));
        return pb.start();
    }

    @Test
    void savepointStopsAndResumesAndAChangedSpecIsRefused(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("savepoint");
        ClickStreams.Stream first = ClickStreams.impressionsAndClicks(5000, 31, 2500);
        ClickStreams.send(kafka.bootstrapServers(), t[0], ClickStreams.encode(first.events()));
        // past every window of the first stream and before the second: all of it can be labelled,
        // however the producer spread it over the partitions
        pushWatermark(t[0], ClickStreams.T0 + 1_800_000L, "sp1");
        List<String> a = args(t, dir, specFile(dir, ClickStreams.SPEC).toString(), "--attribution.window.ms", "10000");

        JobClient job = start(a, null);
        ModelUpdate beforeStop = awaitTrained(t[2], 3000, 120_000); // stopped mid-stream
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        job.getJobExecutionResult().get(60, TimeUnit.SECONDS);

        // another spec against this state: refused at once, without restarts, saying why and what to do
        String otherSpec = ClickStreams.SPEC.replace("\"embedding_dim\": 4", "\"embedding_dim\": 8");
        JobClient wrong = start(args(t, dir, specFile(dir, otherSpec).toString(), "--attribution.window.ms", "10000"), savepoint);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> wrong.getJobExecutionResult().get(60, TimeUnit.SECONDS));
        String message = ExceptionUtils.stringifyException(e);
        assertTrue(message.contains("the checkpoint holds a model trained with spec")
                && message.contains("but --spec is") && message.contains("--fresh"), message);
        assertEquals(1, byEpoch(t[2]).size(), "the refused job published nothing");

        ClickStreams.Stream second = later(ClickStreams.impressionsAndClicks(2000, 32, 2500));
        ClickStreams.send(kafka.bootstrapServers(), t[0], ClickStreams.encode(second.events()));
        pushWatermark(t[0], ClickStreams.T0 + 86_400_000L, "sp2");
        long total = first.impressions() + second.impressions() + 4;
        JobClient resumed = start(a, savepoint);
        try {
            awaitTrained(t[2], total, 120_000);
            Thread.sleep(1000);
            assertEquals(total, lastUpdate(t[2]).trainedExamples(), "trained counts continue from the savepoint, none twice");
            List<ModelUpdate> second_epoch = new ArrayList<>(byEpoch(t[2]).values()).get(1);
            assertTrue(second_epoch.get(0).trainedExamples() >= beforeStop.trainedExamples(),
                    "resumed at the savepoint's count " + second_epoch.get(0).trainedExamples());
        } finally {
            cancelAndWait(resumed);
        }
    }
}
