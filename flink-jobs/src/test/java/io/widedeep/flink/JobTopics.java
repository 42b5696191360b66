package io.widedeep.flink;

import io.widedeep.flink.local.EmbeddedKafka;
import java.util.Map;

/** The three topics a job test needs: clicks (2 partitions), dead letters and model updates. */
final class JobTopics {
    private JobTopics() {}

    /** Creates {@code <prefix>-clicks}, {@code -dlq} and {@code -updates}; returns their names in that order. */
    static String[] create(EmbeddedKafka kafka, String prefix) throws Exception {
        kafka.createTopic(prefix + "-clicks", 2, Map.of());
        kafka.createTopic(prefix + "-dlq", 1, Map.of());
        kafka.createTopic(prefix + "-updates", 1, Map.of("max.message.bytes", String.valueOf(2 << 20)));
        return new String[] {prefix + "-clicks", prefix + "-dlq", prefix + "-updates"};
    }
}
