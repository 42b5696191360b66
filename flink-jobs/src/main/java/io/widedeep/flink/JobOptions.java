package io.widedeep.flink;

import io.widedeep.core.config.ConfigException;
import io.widedeep.core.config.OptionException;
import io.widedeep.core.config.Settings;
import io.widedeep.core.spec.FeatureSpec;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import java.util.Set;

/** The training job's options, read and checked once at start. */
public final class JobOptions implements Serializable {
    public static final Set<String> KEYS = Set.of("bootstrap.servers", "topic.clicks", "topic.dlq", "topic.updates",
            "group.id", "spec", "checkpoint.interval.ms", "checkpoint.dir", "parallelism", "attribution.window.ms",
            "out.of.orderness.ms", "idleness.ms", "history.ttl.ms", "publish.interval.ms", "full.snapshot.every",
            "snapshot.dir", "quality.gate.margin", "quality.gate.window", "chunk.bytes", "bounded",
            "starting.offsets", "restart.attempts", "fail.after", "buffer.timeout.ms", "job.name",
            "quality.gate.max.hold.ms", "quality.gate.on.max.hold", "quality.gate.sample", "dlq.max.raw.bytes",
            "dedup.ttl.ms", "max.future.ms", "snapshot.retain");

    public final String bootstrapServers;
    public final String clicksTopic;
    public final String dlqTopic;
    public final String updatesTopic;
    public final String groupId;
    public final String specJson;
    public final long checkpointIntervalMs;
    public final String checkpointDir;
    public final int parallelism;
    public final long attributionWindowMs;
    public final long outOfOrdernessMs;
    public final long idlenessMs;
    public final long historyTtlMs;
    public final long publishIntervalMs;
    public final int fullSnapshotEvery;
    public final String snapshotDir;
    public final double qualityGateMargin;
    public final int qualityGateWindow;
    public final int chunkBytes;
    public final boolean bounded;
    public final String startingOffsets;
    public final int restartAttempts;
    public final long[] failAfter;
    public final String jobName;
    public final long bufferTimeoutMs;
    public final long qualityGateMaxHoldMs;
    public final boolean publishAfterMaxHold;
    public final int qualityGateSample;
    public final int dlqMaxRawBytes;
    public final long dedupTtlMs;
    public final long maxFutureMs;
    public final int snapshotRetain;
    public final Properties kafka;

    public JobOptions(String[] argv) {
        Settings s = new Settings(argv, KEYS, Set.of("kafka."));
        bootstrapServers = s.string("bootstrap.servers", null);
        clicksTopic = s.string("topic.clicks", "clicks");
        dlqTopic = s.string("topic.dlq", "clicks-dlq");
        updatesTopic = s.string("topic.updates", "model-updates");
        groupId = s.string("group.id", "widedeep-trainer");
        specJson = loadSpec(s.string("spec", null));
        checkpointIntervalMs = s.longValue("checkpoint.interval.ms", 10_000, 100, 86_400_000);
        checkpointDir = directoryUri(s.string("checkpoint.dir", "file:///tmp/widedeep/checkpoints"), "--checkpoint.dir");
        parallelism = s.intValue("parallelism", 1, 1, 1024);
        attributionWindowMs = s.longValue("attribution.window.ms", 30_000, 1, 7L * 86_400_000);
        outOfOrdernessMs = s.longValue("out.of.orderness.ms", 5_000, 0, 86_400_000);
        idlenessMs = s.longValue("idleness.ms", 10_000, 0, 86_400_000);
        historyTtlMs = s.longValue("history.ttl.ms", 30L * 86_400_000, 1000, 3650L * 86_400_000);
        publishIntervalMs = s.longValue("publish.interval.ms", 500, 10, 3_600_000);
        fullSnapshotEvery = s.intValue("full.snapshot.every", 120, 1, 1_000_000);
        snapshotDir = s.has("snapshot.dir") ? s.string("snapshot.dir", null) : null;
        qualityGateMargin = s.doubleValue("quality.gate.margin", 0.10, 0, 100);
        qualityGateWindow = s.intValue("quality.gate.window", 5_000, 10, 10_000_000);
        chunkBytes = s.intValue("chunk.bytes", 900_000, 1024, 100_000_000);
        bounded = s.bool("bounded", false);
        startingOffsets = s.choice("starting.offsets", "committed", Set.of("earliest", "latest", "committed"));
        restartAttempts = s.intValue("restart.attempts", 10, 0, 1_000_000);
        failAfter = parseFailAfter(s.has("fail.after") ? s.string("fail.after", null) : "");
        jobName = s.string("job.name", "widedeep-training");
        bufferTimeoutMs = s.longValue("buffer.timeout.ms", 20, 0, 10_000);
        qualityGateMaxHoldMs = s.longValue("quality.gate.max.hold.ms", 180_000, 0, 7L * 86_400_000);
        publishAfterMaxHold = s.choice("quality.gate.on.max.hold", "publish", Set.of("publish", "hold")).equals("publish");
        qualityGateSample = s.intValue("quality.gate.sample", 4, 1, 1_000_000);
        dlqMaxRawBytes = s.intValue("dlq.max.raw.bytes", 64 << 10, 0, 512 << 10);
        dedupTtlMs = s.longValue("dedup.ttl.ms", 3_600_000, 0, 30L * 86_400_000);
        maxFutureMs = s.longValue("max.future.ms", 600_000, 0, 365L * 86_400_000);
        snapshotRetain = s.intValue("snapshot.retain", 10, 1, 1_000_000);
        kafka = s.withPrefix("kafka.");
    }

    public FeatureSpec spec() {
        return FeatureSpec.parse(specJson);
    }

    /** A spec file path or the name of a built-in spec; parsed now so a bad spec fails at start. */
    private static String loadSpec(String ref) {
        try {
            FeatureSpec spec = Files.isRegularFile(Path.of(ref)) ? FeatureSpec.load(Path.of(ref)) : FeatureSpec.builtIn(ref);
            return spec.json();
        } catch (ConfigException e) {
            if (e.key().equals("spec")) {
                throw new OptionException("--spec", "'" + ref + "' is neither a spec file nor a built-in spec");
            }
            throw new OptionException("--spec " + e.key(), e.getMessage().substring(e.key().length() + 2));
        }
    }

    private static long[] parseFailAfter(String v) {
        if (v.isEmpty()) return new long[0];
        try {
            long[] out = Arrays.stream(v.split(",")).mapToLong(x -> Long.parseLong(x.trim())).toArray();
            for (int i = 1; i < out.length; i++) {
                if (out[i] <= out[i - 1]) throw new OptionException("--fail.after", "counts must increase");
            }
            return out;
        } catch (NumberFormatException e) {
            throw new OptionException("--fail.after", "must be a comma-separated list of example counts");
        }
    }

    /**
     * A directory as Flink wants it: with a scheme. A plain path (what people type locally) becomes
     * an absolute file:// URI; anything that is not a URI fails here, naming the option, instead of
     * deep inside the JobMaster at submission.
     */
    static String directoryUri(String value, String option) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null) {
                return Path.of(value).toAbsolutePath().normalize().toUri().toString();
            }
            return value;
        } catch (URISyntaxException e) {
            throw new OptionException(option, "is neither a path nor a URI: " + value + " (" + e.getReason() + ")");
        }
    }
}
