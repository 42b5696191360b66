package io.widedeep.embedded;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, combined broker and controller) in this JVM, from Kafka's own
 * test kit. For tests and the local demo; production points the job at a real cluster.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /** Starts a broker; {@code dataDir} null means a temporary directory deleted on close. */
    public static EmbeddedKafka start(Path dataDir) throws Exception {
        return start(dataDir, 0);
    }

    /**
     * Starts a broker that tells clients to reach it at {@code advertisedPort} (0: where it listens),
     * so that tests can put a proxy there and cut clients off from it.
     */
    public static EmbeddedKafka start(Path dataDir, int advertisedPort) throws Exception {
        TestKitNodes.Builder nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1)
                .setNumControllerNodes(1);
        if (advertisedPort > 0) {
            nodes.setPerServerProperties(Map.of(0, Map.of("advertised.listeners", "EXTERNAL://localhost:" + advertisedPort)));
        }
        if (dataDir != null) {
            // a fixed cluster id lets a second start reuse the logs of the first
            nodes.setBaseDirectory(dataDir).setClusterId("widedeep-local-kafka-01");
        }
        KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes.build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("message.max.bytes", String.valueOf(4 << 20))
                .setConfigProp("auto.create.topics.enable", "false")
                .setDeleteOnClose(dataDir == null)
                .build();
        boolean formatted = dataDir != null && Files.exists(dataDir.resolve("combined_0_0").resolve("meta.properties"));
        if (!formatted) {
            // the formatter prints its report to stdout; it belongs in the log, not on a user's console
            PrintStream console = System.out;
            ByteArrayOutputStream report = new ByteArrayOutputStream();
            System.setOut(new PrintStream(report, true, StandardCharsets.UTF_8));
            try {
                cluster.format();
            } finally {
                System.setOut(console);
            }
            LOG.info("formatted the broker's storage: {}", report.toString(StandardCharsets.UTF_8).trim());
        }
        cluster.startup();
        cluster.waitForReadyBrokers();
        return new EmbeddedKafka(cluster);
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** Creates a topic if it does not exist yet. */
    public void createTopic(String name, int partitions, Map<String, String> config) throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(config)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
