package io.widedeep.demo;

import io.widedeep.core.events.ClickEventValidator;
import io.widedeep.datasets.Pacer;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.ConfigException;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import io.widedeep.datasets.EventReader;
import io.widedeep.datasets.Readers;
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
    /** The replay's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep replay --bootstrap.servers HOST:PORT --data FILE --format FMT [options]
            Writes a file's events to the clicks topic as Avro click events, optionally at a steady rate.""")
            .table("""
                bootstrap.servers  required  text                            Kafka bootstrap servers
                data               required  text                            the file to replay
                format             required  csv|criteo|avazu|movielens|obd  its format: %s
                spec               -         text                            feature spec JSON file (csv files need its input section)
                topic              clicks    text                            topic to write to
                rate               0         0.0..10000000.0                 events per second (0: as fast as possible)
                limit              -         1..                             stop after this many events (default: all)
                retime             false     true|false                      stamp events with the time they are sent
                kafka.*            -         -                               Kafka producer properties, e.g. --kafka.security.protocol SASL_SSL
                """.formatted(String.join(", ", Readers.FORMATS)));

    public static void main(String[] argv) throws Exception {
        Settings s = CommandLine.parseOrExit("replay", () -> OPTIONS.parse(argv));
        try {
            Properties p = s.withPrefix("kafka.");
            p.setProperty("bootstrap.servers", s.string("bootstrap.servers"));
            p.putIfAbsent("linger.ms", "10");
            String format = s.choice("format");
            FeatureSpec spec = s.has("spec") ? FeatureSpec.load(Path.of(s.string("spec"))) : null;
            double rate = s.doubleValue("rate");
            long limit = s.has("limit") ? s.longValue("limit") : Long.MAX_VALUE;
            boolean retime = s.bool("retime");
            String topic = s.string("topic");
            AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
            Pacer pacer = new Pacer(rate);
            try (EventReader r = Readers.open(format, Path.of(s.string("data")), spec);
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
