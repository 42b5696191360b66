package io.widedeep.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.events.ClickEventValidator;
import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A producer outside the JVM, written from the README: {@code examples/python/click_producer.py}
 * (fastavro and kafka-python, the schema file read as fastavro reads it) sends to a real broker, and
 * every record it sent is decoded and accepted by what the job's source runs on each record.
 * Needs {@code python3-kafka} (Debian) and {@code fastavro} (pip) for {@code /usr/bin/python3}, or
 * another interpreter named by {@code WIDEDEEP_PYTHON}; {@code .ci/run} installs them.
 */
class PythonProducerIT {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    @Test
    void eventsFromThePythonExampleAreReadAsTheJobReadsThem() throws Exception {
        String topic = kafka.jobTopics("python")[0];
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        String python = System.getenv().getOrDefault("WIDEDEEP_PYTHON", "/usr/bin/python3");
        Process p = new ProcessBuilder(python, root.resolve("examples/python/click_producer.py").toString(),
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic, "--events", "150", "--seed", "3")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the producer finishes");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "the producer ran (python3-kafka and fastavro installed?):\n" + output);
        Matcher sent = Pattern.compile("sent (\\d+) events .*fingerprint ([0-9a-f]{16})").matcher(output);
        assertTrue(sent.find(), output);
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        assertEquals(serde.fingerprints().get(0), sent.group(2), "the fingerprint fastavro computes is the job's");

        List<byte[]> records = UpdatesTopic.readAll(kafka.bootstrapServers(), topic);
        assertEquals(Integer.parseInt(sent.group(1)), records.size(), "every event sent is on the topic");
        int impressions = 0, clicks = 0;
        for (byte[] r : records) {
            ClickEvent e = serde.decode(r); // throws, with the reason the dead letter would carry, if not
            assertNull(ClickEventValidator.problem(e), "valid: " + e);
            if (e.getEventType() == EventType.IMPRESSION) impressions++; else clicks++;
        }
        assertEquals(150, impressions);
        assertTrue(clicks > 0, "some impressions were clicked");
    }
}
