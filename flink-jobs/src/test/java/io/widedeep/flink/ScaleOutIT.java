package io.widedeep.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelWeights;
import io.widedeep.core.model.TestSpecs;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.SnapshotFiles;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * N trainer subtasks hold the model one trainer learns: the same bounded stream (pre-labelled, one
 * partition, one joiner, so every run sees the examples in the same order and cuts the same steps)
 * trained with 1, 2 and 3 trainers on a real broker and a MiniCluster with RocksDB and checkpoints,
 * and with 2 trainers whose MLP runs on libtorch (trainer.backend torch-cpu).
 */
class ScaleOutIT {
    static final String SPEC = TestSpecs.PLANTED;
    static final int EVENTS = 5_000;

    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    @RegisterExtension
    static final MiniClusterExtension flink = JobCluster.extension();

    @Test
    void twoAndThreeTrainersEndWithTheModelOfOneOnEitherBackend(@TempDir Path dir) throws Exception {
        String[] t = kafka.jobTopics("scale");
        sendLabelled(t[0]);
        Path spec = dir.resolve("spec.json");
        Files.writeString(spec, SPEC);

        Run one = run(t, dir, spec, 1, "nd4j");
        Run two = run(t, dir, spec, 2, "nd4j");
        Run three = run(t, dir, spec, 3, "nd4j");
        Run torch = run(t, dir, spec, 2, "torch-cpu"); // the GPU path's code, with its parameters on the host

        for (Run r : List.of(one, two, three, torch)) {
            assertEquals(EVENTS, r.model.trainedExamples(), r.trainers + " trainers trained every example once");
            assertEquals(EVENTS, r.last.validation().examples());
            assertTrue(r.checkpoints >= 1, r.trainers + " trainers: no checkpoint completed, so no replica check ran");
        }
        for (Run r : List.of(two, three, torch)) {
            double weights = ModelWeights.relativeDistance(r.model, one.model);
            double loss = Math.abs(r.last.validation().logLoss() - one.last.validation().logLoss()) / one.last.validation().logLoss();
            System.out.printf("ScaleOutIT: %d trainers vs 1: weights %.2e, PV log loss %.2e relative (%.6f vs %.6f), "
                    + "%d checkpoints with equal replicas%n", r.trainers, weights, loss, r.last.validation().logLoss(),
                    one.last.validation().logLoss(), r.checkpoints);
            assertTrue(weights < 1e-6, r.trainers + " trainers: weights differ by " + weights + " (relative L2)");
            assertTrue(loss < 1e-6, r.trainers + " trainers: PV log loss " + r.last.validation().logLoss() + " vs " + one.last.validation().logLoss());
        }
    }

    record Run(int trainers, WideDeepModel model, ModelUpdate last, int checkpoints) {}

    private static Run run(String[] t, Path dir, Path spec, int trainers, String backend) throws Exception {
        Path out = dir.resolve("n" + trainers + backend);
        String updates = t[2] + "-n" + trainers + backend;
        kafka.createTopic(updates, 1, Map.of("max.message.bytes", String.valueOf(2 << 20)));
        JobOptions o = new JobOptions(new String[] {
            "--bootstrap.servers", kafka.bootstrapServers(), "--topic.clicks", t[0], "--topic.dlq", t[1],
            "--topic.updates", updates, "--group.id", "scale-" + trainers + backend, "--spec", spec.toString(),
            "--bounded", "true", "--starting.offsets", "earliest", "--parallelism", "1",
            "--trainer.parallelism", String.valueOf(trainers), "--trainer.verify.replicas", "true",
            "--trainer.precision", "float64", "--trainer.backend", backend,
            "--trainer.bind.host", "127.0.0.1", "--checkpoint.interval.ms", "200",
            "--checkpoint.dir", out.resolve("checkpoints").toUri().toString(),
            "--snapshot.dir", out.resolve("snapshots").toUri().toString(),
            // steps cut by count alone: the same steps in every run, whatever the machine's timing
            "--batch.max.wait.ms", "3600000", "--publish.min.interval.ms", "3600000"});
        JobClient job = TrainingJob.start(o, new Configuration());
        job.getJobExecutionResult().get(240, TimeUnit.SECONDS);
        assertTrue(!Files.exists(out.resolve("checkpoints").resolve("rendezvous").resolve(job.getJobID().toString())),
                "the trainers' addresses are removed once they found each other");
        Path snaps = out.resolve("snapshots");
        String latest = Files.readString(snaps.resolve(SnapshotFiles.LATEST)).trim();
        WideDeepModel model = ModelCodec.decodeFull(Files.readAllBytes(snaps.resolve(latest)));
        List<ModelUpdate> all = UpdatesTopic.updates(kafka.bootstrapServers(), updates);
        String stats = rest("/jobs/" + job.getJobID() + "/checkpoints");
        Matcher m = Pattern.compile("\"completed\":(\\d+)").matcher(stats);
        assertTrue(m.find(), stats);
        return new Run(trainers, model, all.get(all.size() - 1), Integer.parseInt(m.group(1)));
    }

    private static String rest(String path) throws Exception {
        Configuration c = flink.getClientConfiguration();
        URI uri = URI.create("http://" + c.get(RestOptions.ADDRESS) + ":" + c.get(RestOptions.PORT) + path);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Pre-labelled impressions, all in partition 0: one order, whatever the source's parallelism. */
    static void sendLabelled(String topic) {
        Random rnd = new Random(3);
        double[] itemEffect = new double[80];
        for (int i = 0; i < itemEffect.length; i++) itemEffect[i] = rnd.nextGaussian();
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("linger.ms", "5");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int e = 0; e < EVENTS; e++) {
                int item = rnd.nextInt(80), region = rnd.nextInt(15), u = rnd.nextInt(10);
                double logit = -1.5 + itemEffect[item] + ((region + u) % 3 == 0 ? 1.0 : -0.5);
                int label = rnd.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
                Map<String, String> ctx = new HashMap<>(Map.of("region", "r" + region, "uattr", "u" + u, "iattr", "a" + item % 7));
                ClickEvent ev = ClickStreams.event("e" + e, EventType.IMPRESSION, "e" + e, "user" + (e % 50), "i" + item,
                        ClickStreams.T0 + e * 10L, ctx, label);
                producer.send(new ProducerRecord<>(topic, 0, null, serde.encode(ev)));
            }
            producer.flush();
        }
    }
}
