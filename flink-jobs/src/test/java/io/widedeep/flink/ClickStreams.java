package io.widedeep.flink;

import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Generated click streams for the job's tests: impressions of items to users, each clicked with a
 * probability planted from (user group x item group), the click arriving 0.2 to 6 s after the
 * impression, and the whole stream shuffled locally so events arrive out of order within a bound.
 */
final class ClickStreams {
    static final long T0 = 1_700_000_000_000L;

    static final String SPEC = """
            {
              "fields": [
                {"name": "user", "source": "user_id"},
                {"name": "item", "source": "item_id"},
                {"name": "ugroup", "source": "context.ugroup"},
                {"name": "igroup", "source": "context.igroup"},
                {"name": "recent", "source": "history.recent_items"}
              ],
              "wide": {"fields": ["item", "ugroup", "igroup"], "crosses": [["ugroup", "igroup"], ["recent", "item"]]},
              "deep": {"fields": ["ugroup", "igroup", "item"], "embedding_dim": 4, "hidden": [16]},
              "ftrl": {"alpha": 0.2, "l1": 0.2},
              "deep_optimizer": {"type": "adagrad", "learning_rate": 0.05},
              "training": {"batch_size": 32, "seed": 7},
              "history": {"max_items": 5}
            }""";

    /** The generated events (in send order) and the labels the job should derive. */
    record Stream(List<ClickEvent> events, int impressions, int clicks, int lateClicks) {}

    static Stream impressionsAndClicks(int impressions, long seed, long maxShuffleMs) {
        return impressionsAndClicks(impressions, seed, maxShuffleMs, 0, 0);
    }

    /** With a share of the clicks {@code lateMs} to {@code 2 * lateMs} after their impression. */
    static Stream impressionsAndClicks(int impressions, long seed, long maxShuffleMs, double lateShare, long lateMs) {
        Random rnd = new Random(seed);
        double[][] pref = new double[5][5];
        for (double[] row : pref) for (int j = 0; j < 5; j++) row[j] = rnd.nextGaussian() * 1.5 - 1.5;
        List<ClickEvent> events = new ArrayList<>();
        int clicks = 0, late = 0;
        long t = T0;
        for (int i = 0; i < impressions; i++) {
            t += 20 + rnd.nextInt(60);
            int user = rnd.nextInt(60);
            int item = rnd.nextInt(40);
            int ug = user % 5, ig = item % 5;
            Map<String, String> ctx = new HashMap<>();
            ctx.put("ugroup", "g" + ug);
            ctx.put("igroup", "h" + ig);
            String imp = "imp-" + seed + "-" + i;
            events.add(event("e" + imp, EventType.IMPRESSION, imp, "u" + user, "i" + item, t, ctx, null));
            double p = 1 / (1 + Math.exp(-pref[ug][ig]));
            if (rnd.nextDouble() < p) {
                clicks++;
                boolean isLate = rnd.nextDouble() < lateShare;
                if (isLate) late++;
                long ct = t + (isLate ? lateMs + (long) (rnd.nextDouble() * lateMs) : 200 + rnd.nextInt(5800));
                events.add(event("c" + imp, EventType.CLICK, imp, "u" + user, "i" + item, ct, new HashMap<>(), null));
            }
        }
        return new Stream(shuffleWithin(events, maxShuffleMs, rnd), impressions, clicks, late);
    }

    static ClickEvent event(String id, EventType type, String imp, String user, String item, long time,
                            Map<String, String> ctx, Integer label) {
        return ClickEvent.newBuilder().setEventId(id).setEventType(type).setImpressionId(imp).setUserId(user)
                .setItemId(item).setEventTime(time).setContext(ctx).setNumeric(new HashMap<>()).setLabel(label).build();
    }

    /** Sorts by event time plus a random lag below {@code bound}: out of order, but within the bound. */
    static List<ClickEvent> shuffleWithin(List<ClickEvent> events, long bound, Random rnd) {
        Map<ClickEvent, Long> key = new HashMap<>();
        for (ClickEvent e : events) key.put(e, e.getEventTime() + (bound == 0 ? 0 : (long) (rnd.nextDouble() * bound)));
        List<ClickEvent> out = new ArrayList<>(events);
        out.sort(Comparator.comparingLong(key::get));
        return out;
    }

    static void send(String bootstrap, String topic, List<byte[]> messages) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("linger.ms", "5");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] m : messages) producer.send(new ProducerRecord<>(topic, m));
            producer.flush();
        }
    }

    static List<byte[]> encode(List<ClickEvent> events) {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        List<byte[]> out = new ArrayList<>();
        for (ClickEvent e : events) out.add(serde.encode(e));
        return out;
    }

    private ClickStreams() {}
}
