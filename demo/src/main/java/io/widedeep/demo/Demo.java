package io.widedeep.demo;

import io.widedeep.datasets.Pacer;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.ConfigException;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.OptionException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.core.config.Settings;
import io.widedeep.datasets.EventReader;
import io.widedeep.datasets.Readers;
import io.widedeep.datasets.sim.ClickSimulator;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.TrainingJob;
import io.widedeep.embedded.EmbeddedKafka;
import io.widedeep.flink.local.RetainedCheckpoints;
import io.widedeep.flink.local.WorkingDirs;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.serving.ServingServer;
import io.widedeep.serving.registry.ModelRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code ./widedeep demo}: everything real, in one process. A Kafka broker (KRaft), the training job
 * on a Flink MiniCluster with its web UI, the recommendation server, and a producer writing
 * impressions and delayed clicks (from the click simulator, or replayed from a file). Prints a live
 * progress line, then real recommendations from the HTTP API. State lives under {@code --dir}, so a
 * second run resumes from the last checkpoint.
 */
public final class Demo implements AutoCloseable {
    /** The demo's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep demo [options]
            Everything real in one process: a Kafka broker, the training job on a Flink MiniCluster, the
            recommendation server and a producer of simulated (or replayed) impressions and clicks. State
            lives under --dir, so the next run resumes from the last checkpoint.""")
            .table("""
                dir         runs/demo  text                            where the broker's data, checkpoints, snapshots, logs and the learning curve live
                port        8080       0..65535                        HTTP port of the recommendation API (0: any free port)
                flink.port  8081       0..65535                        port of Flink's web UI (0: any free port)
                rate        500        1.0..1000000.0                  events produced per second
                data        -          text                            replay this file instead of simulating (needs --format)
                format      -          csv|criteo|avazu|movielens|obd  format of --data: %s
                spec        -          text                            feature spec: a built-in name or a JSON file (default: sim, or the format's spec)
                duration    0          0..                             stop after this many seconds (0: run until Ctrl-C)
                users       2000       10..10_000_000                  simulated users
                items       300        10..1_000_000                   simulated items
                seed        42         integer                         seed of the simulator
                trainers    1          1..8                            trainer subtasks holding one model (--trainer.parallelism of the job, 1..8)
                """.formatted(String.join(", ", Readers.FORMATS)));

    record Options(Path dir, int port, int flinkPort, double rate, Path data, String format, String spec,
                   long durationSeconds, int users, int items, long seed, int trainers) {
        static Options parse(String[] argv) {
            Settings s = OPTIONS.parse(argv);
            Path data = s.has("data") ? Path.of(s.string("data")) : null;
            String format = s.has("format") ? s.choice("format") : null;
            if (data != null && format == null) throw new OptionException("--format", "is required with --data");
            if (data != null && !Files.isRegularFile(data)) throw new OptionException("--data", "no such file: " + data);
            return new Options(Path.of(s.string("dir")), s.intValue("port"),
                    s.intValue("flink.port"), s.doubleValue("rate"), data, format,
                    s.has("spec") ? s.string("spec") : null, s.longValue("duration"),
                    s.intValue("users"), s.intValue("items"),
                    s.longValue("seed"), s.intValue("trainers"));
        }
    }

    private final Options o;
    private final EmbeddedKafka kafka;
    private final JobClient job;
    private final ServingServer server;
    private final int flinkPort;
    private final Thread producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean producing = new AtomicBoolean(true);
    private final AtomicLong produced = new AtomicLong();
    private final ClickSimulator sim;
    private final boolean resumed;

    private Demo(Options o) throws Exception {
        this.o = o;
        usablePort(o.port(), "--port"); // fails fast if taken; 0 is left to the server
        flinkPort = usablePort(o.flinkPort(), "--flink.port");
        Files.createDirectories(o.dir());
        FeatureSpec spec = o.spec() != null ? (Files.isRegularFile(Path.of(o.spec())) ? FeatureSpec.load(Path.of(o.spec()))
                : FeatureSpec.builtIn(o.spec())) : o.data() != null ? Readers.defaultSpec(o.format()) : FeatureSpec.builtIn("sim");
        Path specFile = o.dir().resolve("spec.json");
        Files.writeString(specFile, spec.json());
        kafka = EmbeddedKafka.start(o.dir().toAbsolutePath().resolve("kafka"));
        kafka.createTopic("clicks", 2, Map.of());
        kafka.createTopic("clicks-dlq", 1, Map.of());
        // what the job publishes for serving: each user's and item's latest state (the job would create it too)
        kafka.createTopic("serving-features", 2, Map.of("cleanup.policy", "compact,delete", "retention.ms",
                String.valueOf(30L * 86_400_000), "segment.ms", "600000"));
        // an hour of updates in 10-minute segments: many full snapshots back, and the disk stays bounded
        kafka.createTopic("model-updates", 1, Map.of("max.message.bytes", String.valueOf(4 << 20), "retention.ms", "3600000",
                "segment.ms", "600000"));

        Path checkpoints = o.dir().toAbsolutePath().resolve("checkpoints");
        Path snapshots = o.dir().toAbsolutePath().resolve("snapshots");
        JobOptions jobOptions = new JobOptions(new String[] {"--bootstrap.servers", kafka.bootstrapServers(),
                "--spec", specFile.toString(), "--checkpoint.dir", checkpoints.toUri().toString(),
                "--snapshot.dir", snapshots.toUri().toString(), "--checkpoint.interval.ms", "5000",
                "--attribution.window.ms", "10000", "--out.of.orderness.ms", "2000", "--idleness.ms", "2000",
                "--group.id", "widedeep-demo", "--job.name", "widedeep-demo",
                "--trainer.parallelism", String.valueOf(o.trainers()), "--trainer.bind.host", "127.0.0.1"});
        Configuration conf = new Configuration();
        conf.setString("rest.port", String.valueOf(flinkPort));
        // RocksDB's working copy of the state: under --dir, in a run directory a killed demo's next run removes
        conf.set(CoreOptions.TMP_DIRS, WorkingDirs.claim(o.dir().toAbsolutePath().resolve("flink-tmp")).dir().toString());
        conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        Optional<Path> latest = RetainedCheckpoints.latest(checkpoints.toString());
        resumed = latest.isPresent();
        latest.ifPresent(p -> conf.setString("execution.state-recovery.path", p.toUri().toString()));
        job = TrainingJob.start(jobOptions, conf);

        server = new ServingServer(new String[] {"--bootstrap.servers", kafka.bootstrapServers(), "--port",
                String.valueOf(o.port()), "--snapshot.dir", snapshots.toString()});
        sim = o.data() == null ? new ClickSimulator(o.users(), o.items(), o.seed()) : null;
        producer = new Thread(this::produce, "demo-producer");
        producer.setDaemon(true);
    }

    public static Demo start(Options o) throws Exception {
        Demo d = new Demo(o);
        d.producer.start();
        return d;
    }

    /** Everything but the producer (tests: to look at what a restarted demo serves before new events arrive). */
    static Demo startWithoutProducer(Options o) throws Exception {
        return new Demo(o);
    }

    void startProducer() {
        producer.start();
    }

    /** Stops producing; the rest runs on. */
    void stopProducer() throws InterruptedException {
        producing.set(false);
        producer.join(5000);
    }

    /** The port to use: {@code port} if it is free, a free one if it is 0 (so the banner can say which). */
    private static int usablePort(int port, String option) {
        try (ServerSocket s = new ServerSocket(port)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new OptionException(option, "port " + port + " is already in use; choose another with " + option + " PORT");
        }
    }

    private void produce() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("linger.ms", "20"); // batches of ~10 events at 500/s: a produce request per event kept the broker busy
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        try (KafkaProducer<byte[], byte[]> out = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
             EventReader file = o.data() == null ? null : Readers.open(o.format(), o.data(), o.spec() == null
                     ? Readers.defaultSpec(o.format()) : FeatureSpec.load(Path.of(o.spec())))) {
            Pacer pacer = new Pacer(o.rate());
            while (running.get() && producing.get()) {
                pacer.awaitTurn();
                long now = System.currentTimeMillis();
                ClickEvent e;
                if (sim != null) {
                    for (ClickEvent c : sim.clicksDue(now)) send(out, serde, c);
                    e = sim.impression(now);
                } else {
                    if (!file.hasNext()) break;
                    e = file.next();
                    e.setEventTime(now); // replayed at the demo's pace, in the file's order
                }
                send(out, serde, e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (running.get()) System.err.println("demo producer stopped: " + e);
        }
    }

    private void send(KafkaProducer<byte[], byte[]> out, AvroSerde<ClickEvent> serde, ClickEvent e) {
        out.send(new ProducerRecord<>("clicks", e.getUserId().getBytes(), serde.encode(e)));
        produced.incrementAndGet();
    }

    /** For tests and embedding: the running server (its port and model registry), events produced so far, the simulator. */
    public ServingServer server() { return server; }
    public long produced() { return produced.get(); }
    public ClickSimulator simulator() { return sim; }

    @Override
    public void close() throws Exception {
        running.set(false);
        if (producer.isAlive()) producer.join(5000);
        try {
            job.cancel().get(); // the latest checkpoint stays for the next run
        } catch (Exception ignored) {
            // already gone
        }
        server.close();
        kafka.close();
    }

    // ------------------------------------------------------------------ the console

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    JsonNode recommend(String user, Map<String, String> context, List<String> candidates, int k) throws Exception {
        ObjectNode req = JSON.createObjectNode();
        req.put("user_id", user);
        req.set("context", JSON.valueToTree(context));
        if (candidates != null) req.set("candidates", JSON.valueToTree(candidates));
        req.put("k", k);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/v1/recommend"))
                .POST(HttpRequest.BodyPublishers.ofString(req.toString())).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException(r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    /** Mean true click probability of the model's top-k vs all candidates (what random picks would get). */
    double[] liftOverRandom(int usersSampled, int candidates, int k) throws Exception {
        Random rnd = new Random(7);
        double top = 0, all = 0;
        for (int s = 0; s < usersSampled; s++) {
            int u = rnd.nextInt(sim.users());
            List<String> cands = new ArrayList<>();
            List<Integer> idx = new ArrayList<>();
            for (int c = 0; c < candidates; c++) {
                int i = rnd.nextInt(sim.items());
                idx.add(i);
                cands.add(ClickSimulator.itemId(i));
                all += sim.clickProbability(u, i) / candidates;
            }
            JsonNode items = recommend(ClickSimulator.userId(u), sim.userContext(u), cands, k).get("items");
            for (JsonNode it : items) {
                int i = Integer.parseInt(it.get("item_id").asText().substring("item-".length()));
                top += sim.clickProbability(u, i) / k;
            }
        }
        return new double[] {top / usersSampled, all / usersSampled};
    }

    public static void main(String[] args) throws Exception {
        Options o;
        Demo demo;
        try {
            o = CommandLine.parseOrExit("demo", () -> Options.parse(args));
            // before anything logs: the libraries' log goes to <dir>/logs/demo.log, not the console
            // (the same configuration as ./widedeep train and serve)
            System.setProperty("log4j2.configurationFile", "log4j2-cli.properties");
            System.setProperty("widedeep.log.dir", o.dir().toAbsolutePath().resolve("logs").toString());
            System.setProperty("widedeep.log.name", "demo");
            demo = start(o);
        } catch (ConfigException e) {
            System.err.println("widedeep demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        AtomicBoolean closed = new AtomicBoolean();
        Runnable shutdown = () -> {
            if (closed.compareAndSet(false, true)) {
                demo.stopping = true; // the progress line must not be redrawn under the summary
                System.out.println("\nwidedeep demo: stopping (the last checkpoint is kept; run again to resume) ...");
                System.out.println(demo.summary());
                try {
                    demo.close();
                } catch (Exception ignored) {
                    // shutting down
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown));
        try {
            demo.console(o);
        } catch (Exception | Error e) {
            // the broker's and Flink's threads would keep the JVM alive: say what broke, stop, exit
            System.err.println("\nwidedeep demo: failed: " + e);
            shutdown.run();
            System.exit(1);
        }
        shutdown.run();
        System.exit(0);
    }

    private void console(Options o) throws Exception {
        System.out.printf("widedeep demo: Kafka at %s, Flink web UI at http://localhost:%d, API at http://localhost:%d%s%n",
                kafka.bootstrapServers(), flinkPort, server.port(), resumed ? " (resumed from the last checkpoint)" : "");
        System.out.printf("producing %s at %.0f events/s; learning curve in %s; logs in %s; Ctrl-C to stop%n",
                o.data() == null ? "simulated impressions and clicks" : o.data().toString(), o.rate(),
                o.dir().resolve("learning-curve.html"), o.dir().resolve("logs"));
        startedAt = System.currentTimeMillis();
        LearningCurve curve = new LearningCurve(o.dir(), System.currentTimeMillis());
        long start = System.currentTimeMillis();
        long lastProduced = 0, lastTime = start, lastLift = 0;
        boolean shown = false;
        while (!stopping && (o.durationSeconds() == 0 || System.currentTimeMillis() - start < o.durationSeconds() * 1000)) {
            Thread.sleep(2000);
            if (stopping) break;
            long now = System.currentTimeMillis();
            long p = produced();
            double rate = (p - lastProduced) * 1000.0 / Math.max(1, now - lastTime);
            lastProduced = p;
            lastTime = now;
            ModelRegistry.Live l = server.registry().peek();
            if (l == null) {
                System.out.printf("\r%,d events (%.0f/s) | waiting for the first model ...        ", p, rate);
                continue;
            }
            long trained = l.model().trainedExamples();
            curve.add(new LearningCurve.Point(now, trained, l.validation().windowLogLoss(), l.validation().windowAuc(), l.validation().logLoss(), l.version(),
                    l.maxEventTime() > 0 ? now - l.maxEventTime() : 0, l.epoch(), l.validation().auc()));
            curve.write();
            String fresh = l.maxEventTime() > 0 ? String.format("%.1fs", (now - l.maxEventTime()) / 1000.0) : "-";
            System.out.printf("\r%,d events (%.0f/s) | %,d examples trained | PV logloss %s AUC %s | model %d | fresh %s   ",
                    p, rate, trained, figure(l.validation().windowLogLoss(), 4), figure(l.validation().windowAuc(), 3), l.version(), fresh);
            if (sim != null && trained >= 3000 && (!shown || now - lastLift > 30_000)) {
                lastLift = now;
                System.out.println();
                if (!shown) showRecommendations();
                double[] lift = liftOverRandom(100, 50, 5);
                System.out.printf("top-5 of 50 candidates: true CTR %.3f vs %.3f for random picks (%.2fx)%n",
                        lift[0], lift[1], lift[0] / lift[1]);
                shown = true;
            } else if (sim == null && trained > 0 && !shown) {
                System.out.println();
                System.out.println(recommend("-", Map.of(), null, 5).toPrettyString());
                printCurl("-");
                shown = true;
            }
        }
        System.out.println();
    }

    /** A figure for the console: "-" while unknown (a model loaded from a snapshot file, before the job's first update). */
    private static String figure(double v, int digits) {
        return Double.isFinite(v) ? String.format("%." + digits + "f", v) : "-";
    }

    private long startedAt = System.currentTimeMillis();
    private volatile boolean stopping;

    /** What this run did, for the last line a person sees. */
    String summary() {
        ModelRegistry.Live l = server.registry().peek();
        String model = l == null ? "no model served yet"
                : String.format("served model version %d trained on %,d examples (PV logloss %.4f, AUC %.3f over the last window)",
                        l.version(), l.model().trainedExamples(), l.validation().windowLogLoss(), l.validation().windowAuc());
        return String.format("widedeep demo: %d s, %,d events produced; %s; checkpoints in %s, logs in %s",
                (System.currentTimeMillis() - startedAt) / 1000, produced(), model, o.dir().resolve("checkpoints"),
                o.dir().resolve("logs"));
    }

    private void showRecommendations() throws Exception {
        int u = 3;
        List<String> cands = new ArrayList<>();
        for (int i = 0; i < 20; i++) cands.add(ClickSimulator.itemId(i));
        JsonNode r = recommend(ClickSimulator.userId(u), sim.userContext(u), cands, 5);
        System.out.println("recommendations for " + ClickSimulator.userId(u) + " " + sim.userContext(u)
                + " among item-0..item-19 (model version " + r.get("model_version") + "):");
        for (JsonNode it : r.get("items")) {
            int i = Integer.parseInt(it.get("item_id").asText().substring(5));
            System.out.printf("  %-9s score %.3f   (true click probability %.3f)%n", it.get("item_id").asText(),
                    it.get("score").asDouble(), sim.clickProbability(u, i));
        }
        printCurl(ClickSimulator.userId(u));
    }

    private void printCurl(String user) {
        System.out.println("try it:  curl -s -X POST localhost:" + server.port() + "/v1/recommend -H 'Content-Type: application/json' "
                + "-d '{\"user_id\":\"" + user + "\",\"context\":{\"age_group\":\"a1\",\"region\":\"r2\"},\"k\":5}'");
    }
}
