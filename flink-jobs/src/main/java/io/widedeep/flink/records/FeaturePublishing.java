package io.widedeep.flink.records;

import java.io.Serializable;

/**
 * Where and how the job publishes serving features: the compacted topic, the shortest time between
 * two records of one item, how long an item without examples is remembered, and the half-life of a
 * click in an item's popularity (ms).
 */
public record FeaturePublishing(String topic, long itemIntervalMs, long itemTtlMs, long popularityHalfLifeMs)
        implements Serializable {}
