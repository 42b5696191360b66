package io.widedeep.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.features.ServingFeatureRecords;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.embedded.EmbeddedKafka;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ItemFeatures;
import io.widedeep.schemas.ServingFeatures;
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
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The server's side of the serving features, against a real broker with records written as the job
 * writes them: ready only once the compacted topic is read to where it ended at start; the newest
 * state of each user kept through a replay of older ones; items and popularity from the topic; the
 * same histories after a restart; and features of another spec refused, with the reason, until a
 * model of that spec arrives.
 */
class FeaturesFeedIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int USERS = 20_000;

    private static UserHistory history(int user, int clicks) {
        UserHistory h = new UserHistory(5);
        for (int c = 0; c < clicks; c++) {
            h.recordImpression(1000L + c);
            h.recordClick(user * 31L + c, c % 3, true, 1000L + c);
        }
        return h;
    }

    @Test
    void theServerServesTheNewestPublishedStateFromStartToRestartToSpecChange() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             UpdatePublisher pub = new UpdatePublisher(kafka.bootstrapServers(), "f-updates", 5)) {
            kafka.createTopic("f-updates", 1, Map.of());
            kafka.createTopic("f-features", 3, Map.of("cleanup.policy", "compact"));
            long spec = pub.spec.fingerprint();
            AvroSerde<ServingFeatures> serde = AvroSerde.servingFeatures();
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            long now = System.currentTimeMillis();
            try (KafkaProducer<byte[], byte[]> out = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int u = 0; u < USERS; u++) {
                    for (int clicks : new int[] {1, 3, 2}) { // the last is a replayed older state: it must not win
                        ServingFeatures f = ServingFeatureRecords.user("u" + u, history(u, clicks), spec, now, 3_600_000);
                        out.send(new ProducerRecord<>("f-features", ServingFeatureRecords.userKey("u" + u), serde.encode(f)));
                    }
                }
                for (int i = 0; i < 5; i++) {
                    ItemFeatures item = ItemFeatures.newBuilder().setItemId("it" + i).setShownAt(now)
                            .setContext(new HashMap<>(Map.of("device", "ios"))).setNumeric(new HashMap<>(Map.of("price", 2.0 + i)))
                            .setClicks(i).setLog2Popularity(i).build();
                    ServingFeatures f = ServingFeatures.newBuilder().setSpecFingerprint(spec).setWrittenAt(now)
                            .setExpiresAt(now + 3_600_000).setEntity(item).build();
                    out.send(new ProducerRecord<>("f-features", ServingFeatureRecords.itemKey("it" + i), serde.encode(f)));
                }
                out.send(new ProducerRecord<>("f-features", "user:garbage".getBytes(), new byte[] {1, 2, 3}));
                out.flush();
            }
            pub.send(pub.next(true));
            String[] args = {"--bootstrap.servers", kafka.bootstrapServers(), "--port", "0", "--host", "127.0.0.1",
                    "--topic.updates", "f-updates", "--topic.features", "f-features"};
            // the store a killed server (no such process) left under the temp directory
            Path stale = Path.of(System.getProperty("java.io.tmpdir"), "widedeep-user-features-99999999");
            Files.createDirectories(stale);
            Files.write(stale.resolve("000001.sst"), new byte[1024]);
            for (int run = 0; run < 2; run++) { // the second run: a restarted server, from the topic alone
                try (ServingServer s = new ServingServer(args)) {
                    assertTrue(!Files.exists(stale), "a dead process's store is removed at start");
                    await(() -> status(s.port(), "/readyz") == 200, "ready");
                    // ready means loaded: every user written before the start is there, in its newest state
                    var m = s.registry().peek().model();
                    for (int u = 0; u < USERS; u += 97) {
                        UserHistory h = s.features().history("u" + u, m);
                        assertNotNull(h, "user " + u + " (run " + run + ")");
                        UserHistory expected = UserHistory.fromBytes(history(u, 3).toBytes(), m.spec().historyMaxItems());
                        assertArrayEquals(expected.toBytes(), h.toBytes(), "user " + u + " (run " + run + ")");
                    }
                    assertEquals(USERS * 2L, s.features().users().ignored() + USERS, "every replayed older state ignored");
                    assertEquals(1, s.features().undecodable());
                    await(() -> s.features().items().popular().size() == 5, "the popular items");
                    assertEquals(List.of("it4", "it3", "it2", "it1", "it0"), s.features().items().popular());
                    String recommended = post(s.port(), "{\"user_id\":\"u1\",\"k\":2}");
                    assertTrue(recommended.contains("\"items\":[{\"item_id\":\"it"), recommended);
                    String metrics = get(s.port(), "/metrics").body();
                    assertTrue(metrics.contains("widedeep_features_loaded 1"), metrics);
                    assertTrue(metrics.contains("widedeep_feed_up{feed=\"features\"} 1"), metrics);
                    await(() -> status(s.port(), "/healthz") == 200, "healthy");
                }
            }

            // the job changes its spec: features of the new spec arrive before a model of it
            String changed = TestData.SMALL_SPEC.replace("\"embedding_dim\": 4", "\"embedding_dim\": 6");
            long newSpec = FeatureSpec.parse(changed).fingerprint();
            try (ServingServer s = new ServingServer(args);
                 KafkaProducer<byte[], byte[]> out = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                await(() -> status(s.port(), "/readyz") == 200, "ready");
                ServingFeatures f = ServingFeatureRecords.user("u1", history(1, 4), newSpec, now, 3_600_000);
                out.send(new ProducerRecord<>("f-features", ServingFeatureRecords.userKey("u1"), serde.encode(f)));
                out.flush();
                await(() -> status(s.port(), "/healthz") == 503, "the mismatch reported");
                String body = get(s.port(), "/healthz").body();
                assertTrue(body.contains("serving features are written for spec " + Long.toHexString(newSpec)), body);
                assertNull(s.features().history("u1", s.registry().peek().model()), "not used with the old model");
                try (UpdatePublisher next = new UpdatePublisher(kafka.bootstrapServers(), "f-updates", 6, changed)) {
                    next.send(next.next(true));
                }
                await(() -> s.registry().peek().model().spec().fingerprint() == newSpec, "the model of the new spec");
                await(() -> status(s.port(), "/healthz") == 200, "healthy again");
                assertEquals(4, s.features().history("u1", s.registry().peek().model()).clicks());
            }
        }
    }

    private static int status(int port, String path) {
        try {
            return get(port, path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String post(int port, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/recommend"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }
}
