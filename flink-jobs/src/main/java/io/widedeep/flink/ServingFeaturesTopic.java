package io.widedeep.flink;

import io.widedeep.core.config.OptionException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving-features topic must be compacted: servers read it from the start, and only each
 * entity's latest record matters. Created here if missing (as many partitions as the clicks topic;
 * compacted, segments rolled every 10 minutes so that compaction can run, and records older than
 * the longer of the history and item TTLs deleted, since what they describe is forgotten by then). An existing topic without compaction fails the job at start,
 * naming the option, instead of growing without bound.
 */
final class ServingFeaturesTopic {
    private static final Logger LOG = LoggerFactory.getLogger(ServingFeaturesTopic.class);

    /** Segments roll every 10 minutes, so compaction keeps the topic near one record per user and item. */
    static final long SEGMENT_MS = 600_000;

    private ServingFeaturesTopic() {}

    static void ensure(JobOptions o) {
        Properties p = new Properties();
        p.putAll(o.kafka);
        p.put("bootstrap.servers", o.bootstrapServers);
        p.putIfAbsent("default.api.timeout.ms", "15000");
        p.putIfAbsent("request.timeout.ms", "15000");
        String topic = o.features.topic();
        try (Admin admin = Admin.create(p)) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            try {
                Config c = admin.describeConfigs(List.of(r)).all().get(15, TimeUnit.SECONDS).get(r);
                String policy = c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
                if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                    throw new OptionException("--topic.features", "topic '" + topic + "' has cleanup.policy=" + policy
                            + "; serving features need a compacted topic (kafka-configs.sh --alter --entity-type topics --entity-name "
                            + topic + " --add-config cleanup.policy=[compact,delete]) or another topic");
                }
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
            }
            int partitions = partitions(admin, o.clicksTopic);
            long retention = Math.max(o.joinTimes.historyTtlMs(), o.features.itemTtlMs());
            NewTopic t = new NewTopic(topic, Optional.of(partitions), Optional.empty()).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retention),
                    // the cleaner compacts closed segments only: a 1 GB default segment would hold every
                    // record of a busy stream for hours before the first compaction
                    TopicConfig.SEGMENT_MS_CONFIG, String.valueOf(SEGMENT_MS)));
            try {
                admin.createTopics(List.of(t)).all().get(15, TimeUnit.SECONDS);
                LOG.info("created serving-features topic {} ({} partitions, compacted, retention {} ms)", topic, partitions, retention);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) return;
                // the brokers answered and refused: without the topic the joiner's sink would block on it
                throw new OptionException("--topic.features", "topic '" + topic + "' does not exist and could not be created ("
                        + e.getCause().getMessage() + "); create it compacted (cleanup.policy=compact,delete) or name another");
            }
        } catch (OptionException e) {
            throw e;
        } catch (Exception e) {
            // a submitting machine may not reach the brokers the cluster does: the job still runs
            LOG.warn("could not check the serving-features topic {} ({}); make sure it exists and is compacted", topic, e.toString());
        }
    }

    private static int partitions(Admin admin, String topic) {
        try {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS).get(topic);
            return d.partitions().size();
        } catch (Exception e) {
            return 1;
        }
    }
}
