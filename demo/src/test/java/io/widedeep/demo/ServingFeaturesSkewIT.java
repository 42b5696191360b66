package io.widedeep.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.features.UserHistory;
import io.widedeep.embedded.EmbeddedKafka;
import io.widedeep.flink.JobOptions;
import io.widedeep.flink.TrainingJob;
import io.widedeep.flink.records.TrainingStep;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import io.widedeep.serving.ServingServer;
import io.widedeep.serving.registry.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training/serving skew, measured: a real broker, the training job on a MiniCluster (RocksDB,
 * checkpoints) and a server reading the serving-features topic. In rounds, every user is shown an
 * item and perhaps clicks it (with producer retries and clicks of unknown impressions mixed in, which
 * the job's rules drop). Before each round, once the server has caught up with what the job
 * published, the server builds the feature row of every impression the round will contain; the job
 * then builds its own training row for each. They must be equal bit for bit (values, field ends,
 * numerics, wide keys): once with the whole impression context in the request, once with only the
 * user's context (the item's attributes then come from the job's item features). The last round is
 * scored by a server started after the others were stopped: it has only the compacted topic.
 */
class ServingFeaturesSkewIT {
    private static final int USERS = 40;
    private static final int ITEMS = 12;
    private static final int ROUNDS = 5;
    private static final long BASE = System.currentTimeMillis() - 3_600_000;

    /** Rows the job trains on, by their impression's event time (unique per impression here). */
    static final Map<Long, FeatureRow> TRAINED = new ConcurrentHashMap<>();

    /** Passes training steps on unchanged, noting their rows: the seam between joiner and trainers. */
    static final class CaptureRows implements MapFunction<TrainingStep, TrainingStep> {
        @Override
        public TrainingStep map(TrainingStep s) {
            for (FeatureRow r : s.rows) TRAINED.put(r.eventTime, r);
            return s;
        }
    }

    private record Shown(String user, long time, String item, Map<String, String> userContext, Map<String, String> context,
                         Map<String, Double> numeric) {}

    @Test
    void theServerBuildsTheRowsTheJoinerTrainedOnBitForBit(@TempDir Path dir) throws Exception {
        TRAINED.clear();
        Random rnd = new Random(11);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null)) {
            kafka.createTopic("clicks", 2, Map.of());
            kafka.createTopic("clicks-dlq", 1, Map.of());
            kafka.createTopic("model-updates", 1, Map.of("max.message.bytes", String.valueOf(4 << 20)));
            JobOptions o = new JobOptions(new String[] {"--bootstrap.servers", kafka.bootstrapServers(), "--spec", "sim",
                    "--checkpoint.dir", dir.resolve("checkpoints").toUri().toString(), "--checkpoint.interval.ms", "2000",
                    "--attribution.window.ms", "1000", "--out.of.orderness.ms", "0", "--features.item.interval.ms", "200",
                    "--trainer.bind.host", "127.0.0.1"});
            JobClient job = TrainingJob.start(o, new Configuration(), steps -> steps.map(new CaptureRows())
                    .name("capture rows").setParallelism(1));
            String[] serverArgs = {"--bootstrap.servers", kafka.bootstrapServers(), "--port", "0", "--host", "127.0.0.1"};
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
            Map<String, Long> expectedSequence = new HashMap<>();
            ServingServer server = new ServingServer(serverArgs);
            int compared = 0;
            int comparedWithItemFeatures = 0;
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                ticks(producer, serde, BASE - 5_000); // labelled events of other users: a first model to serve with
                for (int round = 0; round < ROUNDS; round++) {
                    if (round == ROUNDS - 1) { // the last round is scored by a server that starts from the topic alone
                        server.close();
                        server = new ServingServer(serverArgs);
                    }
                    ServingServer s = server;
                    await(() -> s.registry().peek() != null && s.features().loaded(), "a model and the features loaded");
                    await(() -> caughtUp(s, expectedSequence), "the server caught up with round " + (round - 1));

                    List<Shown> shown = plan(round, rnd);
                    Map<Long, FeatureRow> full = new HashMap<>();
                    Map<Long, FeatureRow> userOnly = new HashMap<>();
                    for (Shown sh : shown) {
                        full.put(sh.time(), s.recommender().featureRow(sh.user(), sh.item(), sh.context(), sh.numeric()));
                        if (s.features().items().item(sh.item()) != null) {
                            userOnly.put(sh.time(), s.recommender().featureRow(sh.user(), sh.item(), sh.userContext(), Map.of()));
                        }
                    }
                    send(producer, serde, shown, rnd, expectedSequence);
                    await(() -> shown.stream().allMatch(sh -> TRAINED.containsKey(sh.time())), "round " + round + " trained");
                    for (Shown sh : shown) {
                        FeatureRow trained = TRAINED.get(sh.time());
                        assertSameFeatures(trained, full.get(sh.time()), "round " + round + " " + sh);
                        compared++;
                        if (userOnly.containsKey(sh.time())) {
                            assertSameFeatures(trained, userOnly.get(sh.time()), "round " + round + ", item features, " + sh);
                            comparedWithItemFeatures++;
                        }
                    }
                }
                ServingServer s = server;
                await(() -> caughtUp(s, expectedSequence), "the restarted server caught up with the last round");
            } finally {
                server.close();
                job.cancel().get();
            }
            assertEquals(USERS * ROUNDS, compared);
            assertTrue(comparedWithItemFeatures >= USERS * (ROUNDS - 1) / 2, "rows checked with the job's item features: " + comparedWithItemFeatures);
        }
    }

    private static boolean caughtUp(ServingServer s, Map<String, Long> expectedSequence) {
        ModelRegistry.Live l = s.registry().peek();
        if (l == null) return false;
        for (Map.Entry<String, Long> e : expectedSequence.entrySet()) {
            UserHistory h = s.features().history(e.getKey(), l.model());
            if (h == null || h.sequence() != e.getValue()) return false;
        }
        return true;
    }

    /** One impression per user, of a random item; user context and item attributes fixed per user and item. */
    private static List<Shown> plan(int round, Random rnd) {
        List<Shown> out = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            int item = rnd.nextInt(ITEMS);
            Map<String, String> user = Map.of("age_group", "a" + u % 4, "region", "r" + u % 7, "device", u % 2 == 0 ? "ios" : "web");
            Map<String, String> ctx = new HashMap<>(user);
            ctx.put("category", "c" + item % 5);
            ctx.put("brand", "b" + item % 3);
            out.add(new Shown("user-" + u, BASE + round * 10_000L + u * 7L, "item-" + item, user, ctx, Map.of("price", 10.0 + item)));
        }
        return out;
    }

    /**
     * The round's impressions, half of them clicked 500 ms later; a tenth of the events sent twice
     * (a producer's retry) and a click of an impression nobody saw for every fifth user. Then an
     * event far enough ahead, on every partition, that the window of every unclicked impression closes.
     */
    private static void send(KafkaProducer<byte[], byte[]> producer, AvroSerde<ClickEvent> serde, List<Shown> shown, Random rnd,
                             Map<String, Long> expectedSequence) throws Exception {
        for (Shown sh : shown) {
            String imp = "imp-" + sh.time() + "-" + sh.user();
            ClickEvent i = event(imp, EventType.IMPRESSION, imp, sh.user(), sh.item(), sh.time(), sh.context(), sh.numeric());
            send(producer, serde, i, rnd.nextInt(10) == 0);
            long events = 1;
            if (rnd.nextBoolean()) {
                send(producer, serde, event("click-" + imp, EventType.CLICK, imp, sh.user(), sh.item(), sh.time() + 500, Map.of(), Map.of()),
                        rnd.nextInt(10) == 0);
                events++;
            }
            if (rnd.nextInt(5) == 0) {
                send(producer, serde, event("stray-" + imp, EventType.CLICK, "never-shown-" + imp, sh.user(), sh.item(), sh.time() + 200,
                        Map.of(), Map.of()), false);
            }
            expectedSequence.merge(sh.user(), events, Long::sum);
        }
        ticks(producer, serde, shown.get(0).time() + 5_000);
    }

    /** Labelled impressions of other users at {@code time}, on every partition: the watermark passes what came before. */
    private static void ticks(KafkaProducer<byte[], byte[]> producer, AvroSerde<ClickEvent> serde, long time) {
        for (int k = 0; k < 16; k++) {
            String imp = "tick-" + time + "-" + k;
            ClickEvent tick = event(imp, EventType.IMPRESSION, imp, "ticker-" + k, "item-tick", time, Map.of(), Map.of());
            tick.setLabel(k % 2);
            send(producer, serde, tick, false);
        }
        producer.flush();
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, AvroSerde<ClickEvent> serde, ClickEvent e, boolean twice) {
        byte[] key = e.getUserId().getBytes(StandardCharsets.UTF_8);
        byte[] value = serde.encode(e);
        producer.send(new ProducerRecord<>("clicks", key, value));
        if (twice) producer.send(new ProducerRecord<>("clicks", key, value));
    }

    private static ClickEvent event(String id, EventType type, String impression, String user, String item, long time,
                                    Map<String, String> context, Map<String, Double> numeric) {
        return ClickEvent.newBuilder().setEventId(id).setEventType(type).setImpressionId(impression).setUserId(user)
                .setItemId(item).setEventTime(time).setContext(new HashMap<>(context)).setNumeric(new HashMap<>(numeric))
                .setLabel(null).build();
    }

    private static void assertSameFeatures(FeatureRow trained, FeatureRow served, String what) {
        assertNotNull(served, what);
        assertArrayEquals(trained.values, served.values, "deep ids (hashed values) of " + what);
        assertArrayEquals(trained.fieldEnds, served.fieldEnds, "field ends of " + what);
        assertEquals(trained.numerics.length, served.numerics.length, what);
        for (int f = 0; f < trained.numerics.length; f++) {
            assertEquals(Float.floatToRawIntBits(trained.numerics[f]), Float.floatToRawIntBits(served.numerics[f]),
                    "numeric " + f + " of " + what);
        }
        assertArrayEquals(trained.wideKeys, served.wideKeys, "wide keys of " + what);
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 90_000;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }
}
