package io.widedeep.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.widedeep.core.TestData;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.ModelUpdate;
import io.widedeep.core.updates.UpdateMetadata;
import io.widedeep.core.updates.UpdateChunker;
import io.widedeep.embedded.EmbeddedKafka;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ModelUpdateChunk;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server over real HTTP on loopback, fed by a real in-process broker. */
class ServingIT {
    private static EmbeddedKafka kafka;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static HttpClient HTTP;

    /**
     * A client per test: each test's server gets an ephemeral port, which the OS may hand out again, so
     * a shared client could reuse a pooled connection to an earlier test's closed server on that port.
     */
    @BeforeEach
    void newClient() {
        HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(null);
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    private static ServingServer server(String prefix) throws Exception {
        kafka.createTopic(prefix + "-updates", 1, Map.of());
        kafka.createTopic(prefix + "-features", 1, Map.of("cleanup.policy", "compact"));
        return new ServingServer(new String[] {"--bootstrap.servers", kafka.bootstrapServers(), "--port", "0",
                "--host", "127.0.0.1", "--topic.updates", prefix + "-updates", "--topic.features", prefix + "-features",
                "--max.candidates", "200"});
    }

    private static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int status(int port, String path) {
        try {
            return get(port, path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    private static long servedVersion(ServingServer s) {
        var l = s.registry().peek();
        return l == null ? -1 : l.version();
    }

    @Test
    void servedScoresEqualModelCoreScores() throws Exception {
        try (ServingServer s = server("scores"); UpdatePublisher pub = new UpdatePublisher(kafka.bootstrapServers(), "scores-updates", 100)) {
            assertEquals(503, get(s.port(), "/readyz").statusCode(), "not ready before a model");
            assertEquals(503, get(s.port(), "/healthz").statusCode(), "not healthy before a model");
            assertTrue(get(s.port(), "/healthz").body().contains("no model loaded yet"));
            pub.send(pub.next(true));
            for (int i = 0; i < 5; i++) pub.send(pub.next(false));
            await(() -> servedVersion(s) == 6, "version 6");
            await(() -> status(s.port(), "/readyz") == 200, "ready once the (empty) serving features are loaded too");
            await(() -> status(s.port(), "/healthz") == 200, "healthy once both feeds are up");

            StringBuilder body = new StringBuilder("{\"rows\": [");
            Random rnd = new Random(3);
            FeatureExtractor fx = new FeatureExtractor(pub.spec);
            ExampleBatch batch = fx.newBatch(20);
            for (int i = 0; i < 20; i++) {
                String user = "u" + rnd.nextInt(5), item = "it" + rnd.nextInt(7), dev = rnd.nextBoolean() ? "ios" : "web";
                double price = rnd.nextDouble() * 50;
                body.append(i == 0 ? "" : ",").append(String.format(
                        "{\"user_id\":\"%s\",\"item_id\":\"%s\",\"context\":{\"device\":\"%s\"},\"numeric\":{\"price\":%s}}",
                        user, item, dev, Double.toString(price)));
                fx.extract(user, item, Map.of("device", dev), Map.of("price", price), 0, null, 0f, batch);
            }
            body.append("]}");
            float[] expected = new float[20];
            pub.model.predict(batch, pub.model.newScratch(20), expected);

            HttpResponse<String> r = post(s.port(), "/v1/score", body.toString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode json = JSON.readTree(r.body());
            assertEquals(6, json.get("model_version").asLong());
            for (int i = 0; i < 20; i++) {
                float served = json.get("scores").get(i).get("score").floatValue();
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(served), "row " + i);
            }

            HttpResponse<String> rec = post(s.port(), "/v1/recommend",
                    "{\"user_id\":\"u1\",\"context\":{\"device\":\"ios\"},\"candidates\":[\"it1\",\"it2\",\"it3\",\"it4\"],\"k\":2}");
            assertEquals(200, rec.statusCode(), rec.body());
            JsonNode items = JSON.readTree(rec.body()).get("items");
            assertEquals(2, items.size());
            assertTrue(items.get(0).get("score").floatValue() >= items.get(1).get("score").floatValue());
        }
    }

    @Test
    void concurrentRequestsWhileUpdatesApplySeeOnlyPublishedVersionsInOrder() throws Exception {
        try (ServingServer s = server("load"); UpdatePublisher pub = new UpdatePublisher(kafka.bootstrapServers(), "load-updates", 200)) {
            pub.send(pub.next(true));
            await(() -> servedVersion(s) == 1, "first model");
            Set<Long> published = ConcurrentHashMap.newKeySet();
            published.add(1L);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger failures = new AtomicInteger();
            AtomicInteger requests = new AtomicInteger();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                final int id = c;
                Thread t = new Thread(() -> {
                    long last = 0;
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = post(s.port(), "/v1/recommend", "{\"user_id\":\"u" + id
                                    + "\",\"candidates\":[\"it0\",\"it1\",\"it2\",\"it3\",\"it4\",\"it5\",\"it6\"],\"k\":3}");
                            requests.incrementAndGet();
                            if (r.statusCode() != 200) {
                                failures.incrementAndGet();
                                problems.add(r.statusCode() + " " + r.body());
                                continue;
                            }
                            long v = JSON.readTree(r.body()).get("model_version").asLong();
                            if (v < last) problems.add("client " + id + " went back from " + last + " to " + v);
                            if (!published.contains(v)) problems.add("unpublished version " + v);
                            last = v;
                        } catch (Exception e) {
                            failures.incrementAndGet();
                            problems.add(e.toString());
                        }
                    }
                });
                t.start();
                clients.add(t);
            }
            for (int i = 0; i < 60; i++) {
                ModelUpdate u = pub.next(i % 20 == 19);
                published.add(u.version());
                pub.send(u);
                Thread.sleep(25);
            }
            await(() -> servedVersion(s) == 61, "all 60 updates applied");
            Thread.sleep(200);
            stop.set(true);
            for (Thread t : clients) t.join();
            assertEquals(List.of(), problems.subList(0, Math.min(5, problems.size())));
            assertEquals(0, failures.get());
            assertTrue(requests.get() > 200, "load actually ran: " + requests.get());
            assertTrue(s.registry().appliedUpdates() >= 61);
        }
    }

    @Test
    void corruptTruncatedAndOutOfOrderUpdatesAreRefusedAndTheModelKeepsServing() throws Exception {
        try (ServingServer s = server("refuse"); UpdatePublisher pub = new UpdatePublisher(kafka.bootstrapServers(), "refuse-updates", 300)) {
            pub.send(pub.next(true));
            pub.send(pub.next(false));
            await(() -> servedVersion(s) == 2, "version 2");
            String probe = "{\"rows\":[{\"user_id\":\"u1\",\"item_id\":\"it1\"}]}";
            String before = JSON.readTree(post(s.port(), "/v1/score", probe).body()).get("scores").toString();

            // corrupted: one byte of the payload flipped after the CRC was computed
            List<ModelUpdateChunk> corrupt = UpdateChunker.split(pub.next(false), 4096);
            ByteBuffer d = corrupt.get(0).getData();
            byte[] bytes = new byte[d.remaining()];
            d.duplicate().get(bytes);
            bytes[bytes.length / 2] ^= 0x40;
            corrupt.get(0).setData(ByteBuffer.wrap(bytes));
            pub.sendChunks(corrupt);
            // truncated: a payload cut short, shipped with a CRC that matches the cut bytes
            ModelUpdate whole = pub.next(false);
            byte[] cut = java.util.Arrays.copyOf(whole.payload(), whole.payload().length - 100);
            pub.send(new ModelUpdate(new UpdateMetadata(whole.epoch(), whole.version(), false, whole.baseVersion(), 0, 0, 0,
                    UpdateMetadata.Validation.UNKNOWN), cut));
            // out of order: a delta whose base the server never had
            ModelUpdate skipped = pub.next(false);
            pub.send(pub.next(false));
            await(() -> s.registry().refusedUpdates() >= 2, "refusals");
            Thread.sleep(300);

            assertEquals(2, servedVersion(s), "still serving version 2");
            HttpResponse<String> after = post(s.port(), "/v1/score", probe);
            assertEquals(200, after.statusCode());
            assertEquals(before, JSON.readTree(after.body()).get("scores").toString(), "the same model answers");
            String metrics = get(s.port(), "/metrics").body();
            double refused = metrics.lines().filter(l -> l.startsWith("widedeep_updates_refused_total"))
                    .mapToDouble(l -> Double.parseDouble(l.split(" ")[1])).sum();
            assertTrue(refused >= 3, "corrupt, truncated and gap updates counted: " + metrics);
            for (String expected : List.of("# HELP widedeep_request_seconds ", "widedeep_request_seconds_bucket{endpoint=\"score\",le=\"0.003\"}",
                    "widedeep_model_version 2", "widedeep_model_late_clicks 6", "# HELP widedeep_model_counter_weight ", "widedeep_feed_up{feed=\"updates\"} 1", "widedeep_responses_total{status=\"200\"}",
                    "# TYPE jvm_gc_collection_seconds summary", "jvm_threads_current ", "jvm_memory_used_bytes{area=\"heap\"}")) {
                assertTrue(metrics.contains(expected), "metrics lack '" + expected + "':\n" + metrics);
            }
            double served = sample(metrics, "widedeep_freshness_seconds_count{stage=\"event_to_applied\"}");
            assertTrue(served > 0 && served % 16 == 0, "every applied update's 16 examples: " + served);
            assertEquals(served, sample(metrics, "widedeep_freshness_seconds_count{stage=\"source\"}"), "the job's stages as carried");
            assertEquals(served, sample(metrics, "widedeep_freshness_seconds_bucket{stage=\"event_to_update\",le=\"0.05\"}"),
                    "40 ms to the update: all within 50 ms");
            assertEquals(served, sample(metrics, "widedeep_freshness_seconds_count{stage=\"kafka\"}"), "and the server's own stages");
            await(() -> status(s.port(), "/healthz") == 200, "healthy");

            pub.send(pub.next(true)); // recovery at the next full snapshot
            long expect = pub.version;
            await(() -> servedVersion(s) == expect, "recovered at full snapshot " + expect);
            assertTrue(skipped.version() < expect);
        }
    }

    @Test
    void thousandsOfMalformedRequestsGet4xxAndTheServerStaysHealthy() throws Exception {
        try (ServingServer s = server("bad"); UpdatePublisher pub = new UpdatePublisher(kafka.bootstrapServers(), "bad-updates", 400)) {
            pub.send(pub.next(true));
            await(() -> servedVersion(s) == 1, "model");
            String many = "[" + String.join(",", java.util.Collections.nCopies(201, "\"x\"")) + "]";
            List<String[]> bad = List.of(
                    new String[] {"/v1/recommend", "{not json"},
                    new String[] {"/v1/recommend", ""},
                    new String[] {"/v1/recommend", "[]"},
                    new String[] {"/v1/recommend", "null"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"surprise\":1}"},
                    new String[] {"/v1/recommend", "{\"user_id\":5}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"k\":\"5\"}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"k\":0}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"k\":1.5}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"context\":{\"" + "k".repeat(150_000) + "\":\"v\"}}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"context\":{\"device\":\"" + "v".repeat(200_000) + "\"}}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"candidates\":\"it1\"}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"candidates\":" + many + "}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"candidates\":[null]}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"\"}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"numeric\":{\"p\":NaN}}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\",\"context\":{\"a\":[1]}}"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"u\"} trailing"},
                    new String[] {"/v1/recommend", "{\"user_id\":\"" + "x".repeat(300_000) + "\"}"},
                    new String[] {"/v1/score", "{\"rows\":[]}"},
                    new String[] {"/v1/score", "{\"rows\":[{\"user_id\":\"u\"}]}"},
                    new String[] {"/v1/score", "{\"rows\":[1,2]}"},
                    new String[] {"/v1/nope", "{}"});
            Random rnd = new Random(9);
            int sent = 0;
            for (int i = 0; i < 3000; i++) {
                String[] b = bad.get(i % bad.size());
                String body = b[1];
                if (i % 7 == 6) { // random bytes as a body
                    byte[] junk = new byte[1 + rnd.nextInt(200)];
                    rnd.nextBytes(junk);
                    body = new String(junk, java.nio.charset.StandardCharsets.ISO_8859_1);
                }
                HttpResponse<String> r;
                try {
                    r = post(s.port(), b[0], body);
                } catch (java.io.IOException e) {
                    throw new AssertionError("request " + i + " " + b[0] + " " + body.substring(0, Math.min(60, body.length()))
                            .replaceAll("[^ -~]", "?") + " got no answer", e);
                }
                assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, b[0] + " " + body.substring(0, Math.min(60, body.length()))
                        + " -> " + r.statusCode() + " " + r.body());
                assertTrue(r.body().contains("\"error\""), r.body());
                sent++;
            }
            assertEquals(405, get(s.port(), "/v1/recommend").statusCode());
            assertEquals(3000, sent);
            HttpResponse<String> fraction = post(s.port(), "/v1/recommend", "{\"user_id\":\"u\",\"k\":1.5}");
            assertEquals(400, fraction.statusCode(), "a fractional k is not truncated to 1: " + fraction.body());
            HttpResponse<String> longValue = post(s.port(), "/v1/recommend",
                    "{\"user_id\":\"u\",\"context\":{\"device\":\"" + "v".repeat(200_000) + "\"}}");
            assertEquals(400, longValue.statusCode());
            assertTrue(longValue.body().contains("context.device is longer than 1024 characters"), longValue.body());
            HttpResponse<String> longKey = post(s.port(), "/v1/recommend",
                    "{\"user_id\":\"u\",\"context\":{\"" + "k".repeat(150_000) + "\":\"v\"}}");
            assertEquals(400, longKey.statusCode());
            assertTrue(longKey.body().contains("a key is longer than 256 characters"), longKey.body());
            await(() -> status(s.port(), "/healthz") == 200, "healthy");
            assertEquals(200, post(s.port(), "/v1/recommend", "{\"user_id\":\"u\",\"candidates\":[\"it1\"]}").statusCode());
        }
    }

    /** The value of one Prometheus sample, by its name and labels as written. */
    private static double sample(String metrics, String series) {
        return metrics.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow(() -> new AssertionError("no sample " + series + " in:\n" + metrics));
    }
}
