package io.widedeep.flink.records;

import java.io.Serializable;

/**
 * When and how the trainer publishes: an update after the first trained step {@code minIntervalMs}
 * after the last one, or once it holds {@code maxExamples}; the MLP's weights at most every
 * {@code denseIntervalMs}; a full snapshot every {@code fullSnapshotIntervalMs}; Kafka records of at
 * most {@code chunkBytes}; full snapshots also to {@code snapshotDir} (null: none), the newest
 * {@code snapshotRetain} kept.
 */
public record PublishPolicy(long minIntervalMs, long maxExamples, long denseIntervalMs, long fullSnapshotIntervalMs,
                            int chunkBytes, String snapshotDir, int snapshotRetain) implements Serializable {}
