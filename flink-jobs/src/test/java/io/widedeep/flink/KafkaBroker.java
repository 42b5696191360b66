package io.widedeep.flink;

import io.widedeep.embedded.EmbeddedKafka;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real in-process broker shared by the tests of one class ({@code @RegisterExtension static}),
 * started before the first and closed after the last, and the topics a job test needs.
 */
final class KafkaBroker implements BeforeAllCallback, AfterAllCallback {
    private EmbeddedKafka kafka;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = EmbeddedKafka.start(null);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        kafka.close();
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /**
     * Creates {@code <prefix>-clicks} (2 partitions), {@code -dlq} and {@code -updates}; returns their
     * names in that order.
     */
    void createTopic(String name, int partitions, Map<String, String> config) throws Exception {
        kafka.createTopic(name, partitions, config);
    }

    String[] jobTopics(String prefix) throws Exception {
        kafka.createTopic(prefix + "-clicks", 2, Map.of());
        kafka.createTopic(prefix + "-dlq", 1, Map.of());
        kafka.createTopic(prefix + "-updates", 1, Map.of("max.message.bytes", String.valueOf(2 << 20)));
        return new String[] {prefix + "-clicks", prefix + "-dlq", prefix + "-updates"};
    }
}
