package io.widedeep.bench.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.Hashing;
import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.SnapshotFiles;
import io.widedeep.datasets.Pacer;
import io.widedeep.datasets.sim.ClickSimulator;
import io.widedeep.embedded.EmbeddedKafka;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.TrainingJob;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.ItemFeatures;
import io.widedeep.schemas.ServingFeatures;
import io.widedeep.serving.ServingServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code widedeep features-bench}: what the serving features cost a server, measured on a server in
 * a JVM of its own (its process's CPU time and resident memory from {@code /proc}).
 *
 * <ul>
 *   <li><b>start-up</b>: {@code --users} user histories (and {@code --items} items) written to the
 *   serving-features topic as the job writes them; the time from starting the server process until
 *   {@code /readyz} answers 200 (it has read the topic to its end), its resident memory then, and
 *   the latency of {@code /v1/recommend} for random users, from this process.</li>
 *   <li><b>cpu</b>: the training job (in this JVM) on simulated events at {@code --rate}; the
 *   server's CPU over {@code --seconds} after {@code --warmup}, per 1,000 events/s. With
 *   {@code --server.classpath} of an older build (which read the clicks topic itself) the same run
 *   measures that server instead: the comparison with the click feed.</li>
 * </ul>
 * One JSON line at the end.
 */
public final class FeaturesBench {
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep features-bench [options]
            Server start-up, memory and CPU with the serving-features topic (the server in its own JVM).""")
            .table("""
                mode              both     startup|cpu|both  which measurements
                users             1000000  1..100_000_000    user histories in the topic at start-up
                items             10000    1..10_000_000     items in the topic at start-up
                rate              1000     1.0..100000.0     simulated events per second (cpu)
                sim.users         20000    10..10_000_000    simulated users (cpu)
                seconds           30       1..3600           CPU measured over this long (cpu)
                warmup            20       0..3600           seconds before measuring (cpu)
                heap              1g       text              the server's -Xmx
                server.classpath  -        text              class path of the server to measure (default: this build's)
                requests          2000     0..1_000_000      /v1/recommend requests after start-up
                """);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = LoadBench.HTTP;

    public static void main(String[] argv) throws Exception {
        Settings s = CommandLine.parseOrExit("features-bench", () -> OPTIONS.parse(argv));
        ObjectNode out = JSON.createObjectNode();
        out.put("server", s.has("server.classpath") ? s.string("server.classpath") : "this build");
        String mode = s.choice("mode");
        if (!mode.equals("cpu")) startup(s, out.putObject("startup"));
        if (!mode.equals("startup")) cpu(s, out.putObject("cpu"));
        System.out.println(out);
        System.exit(0);
    }

    private static void startup(Settings s, ObjectNode out) throws Exception {
        Path dir = Files.createTempDirectory("widedeep-features-bench");
        FeatureSpec spec = FeatureSpec.builtIn("sim");
        int users = s.intValue("users");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            kafka.createTopic("serving-features", 2, Map.of("cleanup.policy", "compact"));
            kafka.createTopic("model-updates", 1, Map.of());
            long bytes = writeFeatures(kafka.bootstrapServers(), spec, users, s.intValue("items"));
            out.put("users", users);
            out.put("topic_mb", bytes / 1e6);
            Path snapshots = snapshot(dir, spec);
            int port = LoadBench.freePort();
            long t0 = System.nanoTime();
            Process server = startServer(s, kafka.bootstrapServers(), port, snapshots, dir.resolve("server.log"));
            try {
                while (status(port, "/readyz") != 200) {
                    if (!server.isAlive()) throw new IOException("the server exited; see " + dir.resolve("server.log"));
                    if (System.nanoTime() - t0 > 600e9) throw new IOException("not ready after 10 minutes");
                    Thread.sleep(50);
                }
                out.put("ready_ms", (System.nanoTime() - t0) / 1_000_000);
                out.put("rss_mb_at_ready", rssBytes(server.pid()) / 1e6);
                out.put("pss_mb_at_ready", pssBytes(server.pid()) / 1e6);
                recommendLatency(port, users, s.intValue("requests"), out);
                out.put("rss_mb_after_requests", rssBytes(server.pid()) / 1e6);
                String metrics = get(port, "/metrics");
                out.put("store_memory_mb", ServerMetrics.value(metrics, "widedeep_feature_store_memory_bytes") / 1e6);
                out.put("store_users", ServerMetrics.value(metrics, "widedeep_feature_users"));
                out.put("heap_used_mb", sumMetric(metrics, "jvm_memory_used_bytes{area=\"heap\"}") / 1e6);
                out.put("heap_committed_mb", sumMetric(metrics, "jvm_memory_committed_bytes{area=\"heap\"}") / 1e6);
            } finally {
                server.destroyForcibly().waitFor();
            }
        }
    }

    /** Histories as the joiner would hold them (up to max_items clicks each) and items with popularity. */
    private static long writeFeatures(String bootstrap, FeatureSpec spec, int users, int items) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("linger.ms", "20");
        p.put("batch.size", String.valueOf(1 << 20));
        AvroSerde<ServingFeatures> serde = AvroSerde.servingFeatures();
        Random rnd = new Random(1);
        long now = System.currentTimeMillis();
        long bytes = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int u = 0; u < users; u++) {
                UserHistory h = new UserHistory(spec.historyMaxItems());
                int clicks = rnd.nextInt(spec.historyMaxItems() + 1);
                for (int c = 0; c < clicks; c++) {
                    h.recordImpression(now - 1000);
                    h.recordImpression(now - 1000);
                    // hashes as the joiner records them: 64-bit, so ~10 bytes each on the wire
                    h.recordClick(FeatureExtractor.itemHash(ClickSimulator.itemId(rnd.nextInt(items))),
                            Hashing.string("c" + rnd.nextInt(20)), true, now - 1000);
                }
                String id = ClickSimulator.userId(u);
                byte[] v = serde.encode(ServingFeatureRecords.user(id, h, spec.fingerprint(), now, 30L * 86_400_000));
                bytes += v.length;
                producer.send(new ProducerRecord<>("serving-features", ServingFeatureRecords.userKey(id), v));
            }
            for (int i = 0; i < items; i++) {
                String id = ClickSimulator.itemId(i);
                ItemFeatures f = ItemFeatures.newBuilder().setItemId(id).setShownAt(now)
                        .setContext(new HashMap<>(Map.of("category", "c" + i % 20, "brand", "b" + i % 50)))
                        .setNumeric(new HashMap<>(Map.of("price", 1.0 + i % 100))).setClicks(i)
                        .setLog2Popularity(now / 3_600_000.0 + Math.log(1 + i) / Math.log(2)).build();
                byte[] v = serde.encode(ServingFeatures.newBuilder().setSpecFingerprint(spec.fingerprint()).setWrittenAt(now)
                        .setExpiresAt(now + 7L * 86_400_000).setEntity(f).build());
                bytes += v.length;
                producer.send(new ProducerRecord<>("serving-features", ServingFeatureRecords.itemKey(id), v));
            }
            producer.flush();
        }
        return bytes;
    }

    /** A snapshot directory with an untrained model of the spec, for the server to be ready with. */
    private static Path snapshot(Path dir, FeatureSpec spec) throws IOException {
        Path snapshots = Files.createDirectories(dir.resolve("snapshots"));
        String name = SnapshotFiles.name(1, 1);
        Files.write(snapshots.resolve(name), ModelCodec.encodeFull(WideDeepModel.create(spec), false));
        Files.writeString(snapshots.resolve(SnapshotFiles.LATEST), name);
        return snapshots;
    }

    /** Random users, 50 random candidates each, one request at a time: the latency from another process. */
    private static void recommendLatency(int port, int users, int requests, ObjectNode out) throws Exception {
        Random rnd = new Random(2);
        long[] nanos = new long[requests];
        for (int i = 0; i < requests; i++) {
            StringBuilder b = new StringBuilder("{\"user_id\":\"").append(ClickSimulator.userId(rnd.nextInt(users)))
                    .append("\",\"context\":{\"device\":\"ios\"},\"k\":5,\"candidates\":[");
            for (int c = 0; c < 50; c++) b.append(c == 0 ? "" : ",").append('"').append(ClickSimulator.itemId(rnd.nextInt(1000))).append('"');
            b.append("]}");
            long t = System.nanoTime();
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/recommend"))
                    .POST(HttpRequest.BodyPublishers.ofString(b.toString())).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
            nanos[i] = System.nanoTime() - t;
            if (r.statusCode() != 200) throw new IOException("recommend: " + r.statusCode() + " " + r.body());
        }
        if (requests == 0) return;
        Arrays.sort(nanos);
        out.put("recommend_requests", requests);
        out.put("recommend_p50_ms", nanos[requests / 2] / 1e6);
        out.put("recommend_p99_ms", nanos[(int) (requests * 0.99)] / 1e6);
        out.put("recommend_max_ms", nanos[requests - 1] / 1e6);
    }

    private static void cpu(Settings s, ObjectNode out) throws Exception {
        Path dir = Files.createTempDirectory("widedeep-features-bench-cpu");
        double rate = s.doubleValue("rate");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            kafka.createTopic("clicks", 2, Map.of());
            kafka.createTopic("clicks-dlq", 1, Map.of());
            kafka.createTopic("model-updates", 1, Map.of("max.message.bytes", String.valueOf(4 << 20)));
            Path snapshots = dir.resolve("snapshots");
            JobOptions o = new JobOptions(new String[] {"--bootstrap.servers", kafka.bootstrapServers(), "--spec", "sim",
                    "--checkpoint.dir", dir.resolve("checkpoints").toUri().toString(), "--snapshot.dir", snapshots.toUri().toString(),
                    "--attribution.window.ms", "10000", "--out.of.orderness.ms", "2000", "--idleness.ms", "2000",
                    "--trainer.bind.host", "127.0.0.1"});
            JobClient job = TrainingJob.start(o, new Configuration());
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong produced = new AtomicLong();
            Thread producer = new Thread(() -> produce(kafka.bootstrapServers(), rate, s.intValue("sim.users"), running, produced),
                    "bench-producer");
            producer.start();
            int port = LoadBench.freePort();
            Process server = startServer(s, kafka.bootstrapServers(), port, snapshots, dir.resolve("server.log"));
            try {
                Thread.sleep(s.longValue("warmup") * 1000);
                long ticks0 = cpuTicks(server.pid());
                long events0 = produced.get();
                long t0 = System.nanoTime();
                Thread.sleep(s.longValue("seconds") * 1000);
                long ticks1 = cpuTicks(server.pid());
                double seconds = (System.nanoTime() - t0) / 1e9;
                double eventsPerSecond = (produced.get() - events0) / seconds;
                double cores = (ticks1 - ticks0) / 100.0 / seconds;
                out.put("events_per_second", eventsPerSecond);
                out.put("server_cpu_cores", cores);
                out.put("server_cpu_per_1000_events_per_second", cores / (eventsPerSecond / 1000));
                out.put("rss_mb", rssBytes(server.pid()) / 1e6);
                out.put("server_ready", status(port, "/readyz") == 200);
            } finally {
                running.set(false);
                producer.join(5000);
                server.destroyForcibly().waitFor();
                job.cancel().get();
            }
        }
    }

    private static void produce(String bootstrap, double rate, int users, AtomicBoolean running, AtomicLong produced) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("linger.ms", "20");
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        ClickSimulator sim = new ClickSimulator(users, 300, 42);
        try (KafkaProducer<byte[], byte[]> out = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            Pacer pacer = new Pacer(rate);
            while (running.get()) {
                pacer.awaitTurn();
                long now = System.currentTimeMillis();
                List<ClickEvent> due = new ArrayList<>(sim.clicksDue(now));
                due.add(sim.impression(now));
                for (ClickEvent e : due) {
                    out.send(new ProducerRecord<>("clicks", e.getUserId().getBytes(), serde.encode(e)));
                    produced.incrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The server in a JVM of its own, with the JVM options {@code ./widedeep serve} uses. */
    private static Process startServer(Settings s, String bootstrap, int port, Path snapshots, Path log) throws IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx" + s.string("heap")));
        options.addAll(List.of(System.getProperty("widedeep.serving.jvm", "-XX:+UseZGC").trim().split("\\s+")));
        options.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=" + AvroSerde.TRUSTED_PACKAGES);
        List<String> args = List.of("--bootstrap.servers", bootstrap, "--port", String.valueOf(port), "--host", "127.0.0.1",
                "--snapshot.dir", snapshots.toString());
        List<String> cmd;
        if (s.has("server.classpath")) { // an older build, without EndsWithParent: its main class directly
            cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
            cmd.addAll(options);
            cmd.addAll(List.of("-cp", s.string("server.classpath"), ServingServer.class.getName()));
            cmd.addAll(args);
        } else {
            cmd = LoadBench.childJvm(options, ServingServer.class, args);
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** utime + stime of a process, in clock ticks (1/100 s). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        return -1;
    }

    /**
     * Proportional set size: ZGC maps its heap at several addresses, and RSS counts each mapping of
     * a page; PSS divides a page among its mappings, so it counts the heap once.
     */
    private static long pssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith("Pss:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        return -1;
    }

    private static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum over a metric's series whose name and labels start with {@code prefix} (up to the closing brace). */
    private static double sumMetric(String text, String prefix) {
        String open = prefix.substring(0, prefix.length() - 1);
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(open) && !line.startsWith("#")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return sum;
    }
}
