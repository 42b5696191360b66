package io.widedeep.flink.records;

import java.io.Serializable;

/**
 * How long the impression-click joiner waits and remembers, in event time (ms): the attribution
 * window, the late-click horizon after it (0: late clicks are dropped), the user history's TTL and
 * the event-id dedup TTL (0: no dedup).
 */
public record JoinTimes(long windowMs, long lateClickHorizonMs, long historyTtlMs, long dedupTtlMs) implements Serializable {}
