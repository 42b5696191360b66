package io.widedeep.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.updates.ModelReplica;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two trainers on two TaskManagers of one slot each, so each TaskManager runs a trainer; each of
 * them is terminated in turn mid-stream while events keep arriving. Every trainer restores the
 * checkpointed model, every epoch opens with a full snapshot, and every labelled event is trained
 * exactly once.
 */
class TrainerFailoverIT {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    @Test
    void twoTrainersSurviveTaskManagerLossesAndTrainEveryEventOnce(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("failover");
        ClickStreams.Stream s = ClickStreams.impressionsAndClicks(24_000, 31, 2500);
        JobOptions o = new JobOptions(new String[] {
            "--bootstrap.servers", kafka.bootstrapServers(), "--topic.clicks", t[0], "--topic.dlq", t[1],
            "--topic.updates", t[2], "--group.id", t[0] + "-job", "--spec", specFile(dir),
            "--starting.offsets", "earliest", "--parallelism", "1", "--trainer.parallelism", "2",
            "--trainer.verify.replicas", "true", "--trainer.bind.host", "127.0.0.1", "--trainer.timeout.ms", "10000",
            "--checkpoint.interval.ms", "300", "--checkpoint.dir", dir.resolve("checkpoints").toUri().toString(),
            "--attribution.window.ms", "10000", "--out.of.orderness.ms", "3000", "--idleness.ms", "0",
            "--publish.min.interval.ms", "150", "--full.snapshot.interval.ms", "3000", "--restart.attempts", "20"});
        Configuration conf = TrainingJob.configuration(o);
        try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(2).setNumSlotsPerTaskManager(1).build())) {
            cluster.start();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            TrainingJob.build(env, o);
            JobID job = cluster.submitJob(env.getStreamGraph()).get().getJobID();
            URI rest = cluster.getRestAddress().get();

            Thread producer = produce(t[0], ClickStreams.encode(s.events()), 2_500);
            long[] killAt = {3_000, 9_000};
            for (int kill = 0; kill < killAt.length; kill++) {
                awaitTrained(t[2], killAt[kill], 120_000);
                int checkpoints = completedCheckpoints(rest, job);
                awaitCheckpointAfter(rest, job, checkpoints); // one of this attempt, so the restore moves on
                // first one original TaskManager, then the other: each runs one of the two trainers
                cluster.terminateTaskManager(kill).get(60, TimeUnit.SECONDS);
                cluster.startTaskManager(); // the job gets its two slots back
            }
            producer.join();
            pushWatermark(t[0], ClickStreams.T0 + 86_400_000L); // every attribution window closes
            long total = s.impressions() + 2;
            ModelUpdate end = awaitTrained(t[2], total, 180_000);
            Thread.sleep(1_500); // anything beyond the total would show up now
            List<ModelUpdate> updates = UpdatesTopic.updates(kafka.bootstrapServers(), t[2]);
            ModelUpdate last = updates.get(updates.size() - 1);
            assertEquals(total, last.trainedExamples(), "every labelled event trained exactly once");
            assertEquals(s.clicks(), last.validation().positives(), "every click trained once");
            assertEquals(JobStatus.RUNNING, cluster.getJobStatus(job).get(), "the job is running, not failed");

            Map<Long, List<ModelUpdate>> epochs = new LinkedHashMap<>();
            for (ModelUpdate u : updates) epochs.computeIfAbsent(u.epoch(), e -> new ArrayList<>()).add(u);
            assertEquals(3, epochs.size(), "an epoch per attempt: two TaskManager losses, two restarts: " + epochs.keySet());
            long previous = 0;
            for (List<ModelUpdate> epoch : epochs.values()) {
                assertTrue(epoch.get(0).full(), "each epoch opens with a full snapshot");
                assertTrue(epoch.get(0).trainedExamples() >= previous - 20_000, "restored, not new");
                previous = epoch.get(epoch.size() - 1).trainedExamples();
            }
            // a reader of the whole topic ends with the trainers' last model: no update was lost
            ModelReplica replica = UpdatesTopic.replay(updates);
            assertEquals(end.trainedExamples(), replica.model().trainedExamples());
            assertTrue(completedCheckpoints(rest, job) >= 3, "checkpoints (each with equal replicas) completed");
            // the model went into checkpoints as a base and increments, and the log was pruned as it ran
            try (var files = java.nio.file.Files.walk(dir.resolve("checkpoints").resolve("model-log"))) {
                List<String> names = files.filter(java.nio.file.Files::isRegularFile).map(f -> f.getFileName().toString()).toList();
                assertTrue(names.stream().anyMatch(n -> n.startsWith("inc-")), "increments written: " + names);
                assertTrue(names.size() <= 30, "pruned while running: " + names.size() + " files " + names);
            }
            cluster.cancelJob(job).get(60, TimeUnit.SECONDS);
        }
    }

    private static String specFile(Path dir) throws Exception {
        Path spec = dir.resolve("spec.json");
        java.nio.file.Files.writeString(spec, ClickStreams.SPEC);
        return spec.toString();
    }

    /** Sends the messages at about {@code rate} a second, keyed by nothing, from a thread. */
    private static Thread produce(String topic, List<byte[]> messages, int rate) {
        Thread th = new Thread(() -> {
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                long start = System.nanoTime();
                for (int i = 0; i < messages.size(); i++) {
                    p.send(new ProducerRecord<>(topic, messages.get(i)));
                    long due = start + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                p.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        th.start();
        return th;
    }

    private static void pushWatermark(String topic, long time) {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (int part = 0; part < 2; part++) {
                ClickEvent e = ClickStreams.event("wm" + part, EventType.IMPRESSION, "wm" + part, "wm-user-" + part, "i0",
                        time, new HashMap<>(Map.of("ugroup", "g0", "igroup", "h0")), 0);
                p.send(new ProducerRecord<>(topic, part, null, serde.encode(e)));
            }
            p.flush();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("linger.ms", "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static ModelUpdate awaitTrained(String topic, long atLeast, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        ModelUpdate last = null;
        while (System.currentTimeMillis() < deadline) {
            List<ModelUpdate> all = UpdatesTopic.updates(kafka.bootstrapServers(), topic);
            last = all.isEmpty() ? null : all.get(all.size() - 1);
            if (last != null && last.trainedExamples() >= atLeast) return last;
            Thread.sleep(300);
        }
        throw new AssertionError("trained " + (last == null ? "nothing" : last.trainedExamples()) + " < " + atLeast);
    }

    private static int completedCheckpoints(URI rest, JobID job) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(rest.resolve("/jobs/" + job + "/checkpoints")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("\"completed\":(\\d+)").matcher(body);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static void awaitCheckpointAfter(URI rest, JobID job, int count) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (completedCheckpoints(rest, job) <= count) {
            assertTrue(System.currentTimeMillis() < deadline, "no checkpoint completed");
            Thread.sleep(100);
        }
    }
}
