package io.widedeep.demo;

import io.widedeep.core.events.ClickEventValidator;
import io.widedeep.core.io.Pacer;
import io.widedeep.core.config.ConfigException;
import io.widedeep.core.config.Settings;
import io.widedeep.core.io.EventReader;
import io.widedeep.core.io.Readers;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code widedeep replay}: any file the bench readers support into any Kafka, as Avro ClickEvents
 * keyed by user, in file order, at {@code --rate} events per second (0 = as fast as possible).
 * {@code --retime true} stamps events with the time they are sent. Client properties pass through
 * as {@code kafka.*} (TLS, SASL).
 */
public final class Replay {
    public static final Set<String> KEYS = Set.of("bootstrap.servers", "data", "format", "spec", "topic", "rate",
            "limit", "retime");

    public static void main(String[] argv) throws Exception {
        try {
            Settings s = new Settings(argv, KEYS, Set.of("kafka."));
            Properties p = s.withPrefix("kafka.");
            p.setProperty("bootstrap.servers", s.string("bootstrap.servers", null));
            p.putIfAbsent("linger.ms", "10");
            String format = s.choice("format", null, Set.copyOf(Readers.FORMATS));
            FeatureSpec spec = s.has("spec") ? FeatureSpec.load(Path.of(s.string("spec", null))) : null;
            double rate = s.doubleValue("rate", 0, 0, 10_000_000);
            long limit = s.longValue("limit", Long.MAX_VALUE, 1, Long.MAX_VALUE);
            boolean retime = s.bool("retime", false);
            String topic = s.string("topic", "clicks");
            AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
            Pacer pacer = new Pacer(rate);
            try (EventReader r = Readers.open(format, Path.of(s.string("data", null)), spec);
                 KafkaProducer<byte[], byte[]> out = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                while (r.hasNext() && pacer.sent() < limit) {
                    pacer.awaitTurn();
                    ClickEvent e = r.next();
                    if (retime || e.getEventTime() < ClickEventValidator.MIN_TIME) e.setEventTime(System.currentTimeMillis());
                    out.send(new ProducerRecord<>(topic, e.getUserId().getBytes(), serde.encode(e)));
                }
                out.flush();
            }
            System.out.printf("{\"events\":%d,\"seconds\":%.3f}%n", pacer.sent(), pacer.elapsedSeconds());
        } catch (ConfigException e) {
            System.err.println("widedeep replay: " + e.getMessage());
            System.exit(2);
        }
    }
}
