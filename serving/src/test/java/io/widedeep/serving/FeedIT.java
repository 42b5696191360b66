package io.widedeep.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.embedded.EmbeddedKafka;
import io.widedeep.serving.registry.ModelRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's Kafka feeds as an operator meets them: the broker goes away and comes back (clients
 * reach it through a proxy the test cuts), and a restart against a long updates topic.
 */
class FeedIT {
    private static TcpProxy proxy;
    private static EmbeddedKafka kafka;
    private static String bootstrap;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        proxy = new TcpProxy();
        kafka = EmbeddedKafka.start(null, proxy.port());
        proxy.forwardTo(Integer.parseInt(kafka.bootstrapServers().replaceAll(".*:", "")));
        bootstrap = "localhost:" + proxy.port();
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
        proxy.close();
    }

    private static ServingServer server(String prefix) throws Exception {
        kafka.createTopic(prefix + "-updates", 1, Map.of());
        kafka.createTopic(prefix + "-features", 1, Map.of("cleanup.policy", "compact"));
        return new ServingServer(new String[] {"--bootstrap.servers", bootstrap, "--port", "0", "--host", "127.0.0.1",
                "--topic.updates", prefix + "-updates", "--topic.features", prefix + "-features", "--feed.timeout.ms", "2000"});
    }

    private static HttpResponse<String> get(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void await(BooleanSupplier cond, String what, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    private static long servedVersion(ServingServer s) {
        ModelRegistry.Live l = s.registry().peek();
        return l == null ? -1 : l.version();
    }

    @Test
    void feedsSurviveABrokerOutageAndHealthReportsItMeanwhile() throws Exception {
        try (ServingServer s = server("outage"); UpdatePublisher pub = new UpdatePublisher(bootstrap, "outage-updates", 7)) {
            pub.send(pub.next(true));
            await(() -> get(s.port(), "/healthz").statusCode() == 200, "healthy", 30_000);

            proxy.cut(); // the broker is gone for every client
            await(() -> get(s.port(), "/healthz").statusCode() == 503, "the outage reported", 20_000);
            // each feed notices on its own poll: wait for both, in whichever order they report
            await(() -> {
                String health = get(s.port(), "/healthz").body();
                return health.contains("features feed down") && health.contains("updates feed down: no contact with Kafka");
            }, "both feeds down", 20_000);
            String body = get(s.port(), "/healthz").body();
            assertEquals(200, get(s.port(), "/readyz").statusCode(), "still serving the model it has: " + body);
            Thread.sleep(3000); // down for a while

            proxy.restore();
            pub.send(pub.next(false));
            await(() -> servedVersion(s) == 2, "the update sent after the outage", 60_000);
            await(() -> get(s.port(), "/healthz").statusCode() == 200, "healthy again", 30_000);
        }
    }

    @Test
    void startsFromTheNewestFullSnapshotNotTheBeginningOfTheTopic() throws Exception {
        try (UpdatePublisher pub = new UpdatePublisher(bootstrap, "long-updates", 9)) {
            kafka.createTopic("long-updates", 1, Map.of());
            pub.send(pub.next(true));
            for (int i = 0; i < 2000; i++) pub.send(pub.next(false)); // a long history of deltas
            pub.send(pub.next(true)); // version 2002: the newest full snapshot
            for (int i = 0; i < 40; i++) pub.send(pub.next(false));
            long last = pub.version;
            try (ServingServer s = server("long")) {
                await(() -> servedVersion(s) == last, "version " + last, 60_000);
                // the full snapshot and the 40 deltas after it: nothing of the 2001 updates before it
                assertEquals(41, s.registry().appliedUpdates(), "applied only what follows the newest full snapshot");
                assertTrue(s.updateFeed().scannedRecords() < 400, "scanned " + s.updateFeed().scannedRecords()
                        + " records backwards to find it");
            }
        }
    }
}
