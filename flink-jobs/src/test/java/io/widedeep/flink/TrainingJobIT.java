package io.widedeep.flink;

import io.widedeep.flink.testing.StepFailures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.metrics.FreshnessBreakdown;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.updates.ModelReplica;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.SnapshotFiles;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.DeadLetter;
import io.widedeep.schemas.EventType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training job on a real in-process Kafka broker and a real Flink MiniCluster, with the RocksDB
 * state backend and checkpoints.
 */
class TrainingJobIT {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    @RegisterExtension
    static final MiniClusterExtension flink = JobCluster.extension();

    private static JobOptions options(String[] t, Path dir, String... extra) throws Exception {
        Path spec = dir.resolve("spec.json");
        Files.writeString(spec, ClickStreams.SPEC);
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap.servers", kafka.bootstrapServers(), "--topic.clicks", t[0], "--topic.dlq", t[1],
                "--topic.updates", t[2], "--group.id", t[0] + "-job", "--spec", spec.toString(),
                "--bounded", "true", "--starting.offsets", "earliest", "--checkpoint.interval.ms", "300",
                "--checkpoint.dir", dir.resolve("checkpoints").toUri().toString(),
                "--snapshot.dir", dir.resolve("snapshots").toUri().toString(),
                "--attribution.window.ms", "10000", "--out.of.orderness.ms", "3000", "--idleness.ms", "0",
                "--publish.min.interval.ms", "150", "--full.snapshot.interval.ms", "2000", "--parallelism", "2"));
        Collections.addAll(args, extra);
        return new JobOptions(args.toArray(new String[0]));
    }

    private static JobID runToEnd(JobOptions o) throws Exception {
        JobClient job = TrainingJob.start(o, new Configuration());
        job.getJobExecutionResult().get(240, TimeUnit.SECONDS);
        return job.getJobID();
    }

    /** GET from the MiniCluster's REST API. */
    private static String rest(String path) throws Exception {
        Configuration c = flink.getClientConfiguration();
        URI uri = URI.create("http://" + c.get(RestOptions.ADDRESS) + ":" + c.get(RestOptions.PORT) + path);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static WideDeepModel finalSnapshot(Path dir) throws Exception {
        Path snaps = dir.resolve("snapshots");
        String latest = Files.readString(snaps.resolve(SnapshotFiles.LATEST)).trim();
        return ModelCodec.decodeFull(Files.readAllBytes(snaps.resolve(latest)));
    }

    @Test
    void learnsFromImpressionsAndDelayedClicksEndToEnd(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("e2e");
        ClickStreams.Stream s = ClickStreams.impressionsAndClicks(4000, 1, 2500);
        // an at-least-once producer retries: every 7th event is written twice, right after itself
        List<byte[]> messages = new ArrayList<>();
        for (byte[] m : ClickStreams.encode(s.events())) {
            messages.add(m);
            if (messages.size() % 7 == 0) messages.add(m);
        }
        ClickStreams.send(kafka.bootstrapServers(), t[0], messages);

        JobID job = runToEnd(options(t, dir, "--publish.min.interval.ms", "20"));

        List<ModelUpdate> updates = UpdatesTopic.updates(kafka.bootstrapServers(), t[2]);
        assertTrue(updates.get(0).full(), "the first update is a full snapshot");
        assertTrue(updates.stream().filter(u -> !u.full()).count() >= 1, "deltas follow it: " + updates.size() + " updates");
        ModelReplica replica = UpdatesTopic.replay(updates);
        assertEquals(s.impressions(), replica.model().trainedExamples(), "every impression became one example, duplicates none");
        long measured = 0;
        for (ModelUpdate u : updates) {
            FreshnessBreakdown f = FreshnessBreakdown.decode(u.freshness());
            for (FreshnessBreakdown.Stage stage : FreshnessBreakdown.Stage.values()) {
                if (stage.jobStage) assertEquals(f.examples(), f.stage(stage).count(), stage.label + " counts each example once");
            }
            measured += f.examples();
        }
        assertEquals(s.impressions(), measured, "each trained example is in the freshness breakdown of exactly one update");
        ModelUpdate last = updates.get(updates.size() - 1);
        assertEquals(s.clicks(), last.validation().positives(), "every click matched its impression and was trained as a positive");
        double baseline = ProgressiveValidation.entropy((double) s.clicks() / s.impressions());
        assertEquals(s.impressions(), last.validation().examples());
        assertTrue(last.validation().logLoss() < baseline, "PV logloss " + last.validation().logLoss() + " beats constant CTR " + baseline);
        assertEquals(ModelCodec.weightsDigest(finalSnapshot(dir)), ModelCodec.weightsDigest(replica.model()));
        int periodicFull = -1;
        for (int i = 1; i < updates.size(); i++) {
            ModelUpdate u = updates.get(i);
            if (!u.full()) continue;
            periodicFull = i;
            // encoded off the training thread: it comes after the delta of its own version (which current
            // readers apply instead), and the deltas published while it was encoded follow it again
            int own = -1;
            for (int j = i - 1; j > 0 && own < 0; j--) {
                if (!updates.get(j).full() && updates.get(j).version() == u.version()) own = j;
            }
            assertTrue(own > 0 && updates.get(own).epoch() == u.epoch(), "the delta of version " + u.version() + " precedes its snapshot");
            for (int j = own + 1; j < i; j++) {
                ModelUpdate meanwhile = updates.get(j), again = updates.get(i + j - own);
                assertEquals(meanwhile.version(), again.version(), "delta " + meanwhile.version() + " follows the snapshot again");
                assertArrayEquals(meanwhile.payload(), again.payload());
                assertEquals(0, FreshnessBreakdown.decode(again.freshness()).examples(), "a repeated delta does not count its examples twice");
            }
        }
        System.out.printf("TrainingJobIT: %d updates, %d full snapshots%n", updates.size(), updates.stream().filter(ModelUpdate::full).count());
        if (periodicFull > 0) { // how many versions a run publishes depends on the machine's speed
            ModelReplica lateReader = UpdatesTopic.replay(updates.subList(periodicFull, updates.size()));
            assertEquals(ModelCodec.weightsDigest(replica.model()), ModelCodec.weightsDigest(lateReader.model()),
                    "a reader starting at the last full snapshot ends with the same model as one that read every delta");
        }
        assertTrue(UpdatesTopic.readAll(kafka.bootstrapServers(), t[1]).isEmpty(), "no dead letters");
        String config = rest("/jobs/" + job + "/checkpoints/config");
        assertTrue(config.contains("\"state_backend\":\"EmbeddedRocksDBStateBackend\""), "RocksDB on the shared MiniCluster: " + config);
    }

    @Test
    void restoresAfterInjectedFailuresAndTrainsEveryExampleExactlyOnce(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("failover");
        ClickStreams.Stream s = ClickStreams.impressionsAndClicks(20000, 2, 2500);
        ClickStreams.send(kafka.bootstrapServers(), t[0], ClickStreams.encode(s.events()));

        TrainingJob.start(options(t, dir), new Configuration(), steps -> StepFailures.after(steps, 5000, 12000))
                .getJobExecutionResult().get(240, TimeUnit.SECONDS);

        List<ModelUpdate> updates = UpdatesTopic.updates(kafka.bootstrapServers(), t[2]);
        List<Long> epochs = new ArrayList<>();
        for (ModelUpdate u : updates) {
            if (epochs.isEmpty() || epochs.get(epochs.size() - 1) != u.epoch()) {
                assertTrue(u.full(), "epoch " + u.epoch() + " opens with a full snapshot");
                if (!epochs.isEmpty()) {
                    // the restored model is a checkpointed one (the hook fails only after a checkpoint)
                    assertTrue(u.trainedExamples() > 0 && u.trainedExamples() < s.impressions(),
                            "restored a checkpointed model: " + u.trainedExamples());
                }
                assertTrue(epochs.isEmpty() || u.epoch() > epochs.get(epochs.size() - 1), "epochs increase");
                epochs.add(u.epoch());
            }
        }
        assertEquals(3, epochs.size(), "two restores give three epochs");
        ModelReplica replica = UpdatesTopic.replay(updates);
        WideDeepModel end = finalSnapshot(dir);
        assertEquals(s.impressions(), end.trainedExamples(), "none lost, none twice");
        assertEquals(s.impressions(), replica.model().trainedExamples());
        assertEquals(ModelCodec.weightsDigest(end), ModelCodec.weightsDigest(replica.model()),
                "replaying the topic by the epoch rules gives exactly the job's final model");
    }

    @Test
    void malformedRecordsGoToTheDeadLetterTopicAndGoodOnesAreAllTrained(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("dlq");
        Random rnd = new Random(5);
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        List<byte[]> messages = new ArrayList<>();
        int good = 0, bad = 0;
        Set<String> expectedReasons = new HashSet<>();
        for (int i = 0; i < 6000; i++) {
            long time = ClickStreams.T0 + i * 10L;
            Map<String, String> ctx = new HashMap<>(Map.of("ugroup", "g" + rnd.nextInt(5), "igroup", "h" + rnd.nextInt(5)));
            ClickEvent ok = ClickStreams.event("e" + i, EventType.IMPRESSION, "imp" + i, "u" + rnd.nextInt(50),
                    "i" + rnd.nextInt(30), time, ctx, rnd.nextInt(4) == 0 ? 1 : 0);
            switch (i % 3 == 0 ? rnd.nextInt(6) : -1) {
                case 0 -> {
                    byte[] garbage = new byte[1 + rnd.nextInt(100)];
                    rnd.nextBytes(garbage);
                    garbage[0] = 0x7f;
                    messages.add(garbage);
                    expectedReasons.add("not Avro");
                }
                case 1 -> {
                    byte[] b = serde.encode(ok);
                    b[5] ^= 0x55; // fingerprint no schema has
                    messages.add(b);
                    expectedReasons.add("unknown schema fingerprint");
                }
                case 2 -> {
                    ok.setUserId("");
                    messages.add(serde.encode(ok));
                    expectedReasons.add("missing user_id");
                }
                case 3 -> {
                    ok.setNumeric(new HashMap<>(Map.of("price", Double.NaN)));
                    messages.add(serde.encode(ok));
                    expectedReasons.add("numeric 'price' is NaN");
                }
                case 4 -> {
                    byte[] b = serde.encode(ok);
                    messages.add(java.util.Arrays.copyOf(b, b.length / 2));
                    expectedReasons.add("corrupt");
                }
                case 5 -> {
                    ok.setItemId("x".repeat(5000));
                    messages.add(serde.encode(ok));
                    expectedReasons.add("item_id longer than");
                }
                default -> {
                    messages.add(serde.encode(ok));
                    good++;
                    continue;
                }
            }
            bad++;
        }
        // a record of ~1 MB (a dead letter carrying all of it would not fit in one request)
        byte[] huge = new byte[1_000_000];
        rnd.nextBytes(huge);
        huge[0] = 0x7f;
        messages.add(huge);
        // a valid event followed by trailing garbage
        byte[] valid = serde.encode(ClickStreams.event("trail", EventType.IMPRESSION, "imp-trail", "u1", "i1",
                ClickStreams.T0, new HashMap<>(), 1));
        byte[] trailing = java.util.Arrays.copyOf(valid, valid.length + 5);
        messages.add(trailing);
        // an event from the far future would drag the watermark (and every expiry) along
        messages.add(serde.encode(ClickStreams.event("future", EventType.IMPRESSION, "imp-future", "u1", "i1",
                System.currentTimeMillis() + 86_400_000L, new HashMap<>(), 1)));
        bad += 3;
        expectedReasons.add("trailing bytes");
        expectedReasons.add("ahead of the clock");
        ClickStreams.send(kafka.bootstrapServers(), t[0], messages);

        runToEnd(options(t, dir));

        AvroSerde<DeadLetter> dl = AvroSerde.deadLetters();
        List<byte[]> dead = UpdatesTopic.readAll(kafka.bootstrapServers(), t[1]);
        assertEquals(bad, dead.size(), "every malformed record is in the DLQ");
        Set<String> seen = new HashSet<>();
        int capped = 0;
        for (byte[] b : dead) {
            DeadLetter d = dl.decode(b);
            assertTrue(d.getRaw().remaining() > 0 && !d.getReason().isBlank());
            assertTrue(d.getRaw().remaining() <= 64 << 10, "raw bytes capped: " + d.getRaw().remaining());
            assertEquals(64, d.getRawSha256().length());
            if (d.getRawLength() == huge.length) {
                capped++;
                assertEquals(64 << 10, d.getRaw().remaining());
                assertEquals(java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(huge)), d.getRawSha256());
            }
            assertEquals(t[0], d.getSourceTopic());
            for (String r : expectedReasons) if (d.getReason().contains(r)) seen.add(r);
        }
        assertEquals(expectedReasons, seen, "each kind of damage is named in a reason");
        assertEquals(1, capped, "the 1 MB record is in the DLQ as a prefix with its length and digest");
        assertEquals(1, UpdatesTopic.updates(kafka.bootstrapServers(), t[2]).stream().mapToLong(ModelUpdate::epoch)
                .distinct().count(), "one epoch: the job never restarted");
        assertEquals(good, finalSnapshot(dir).trainedExamples(), "every good event trained");
        assertTrue(bad > 1500, "thousands of malformed records: " + bad);
    }
}
