package io.widedeep.flink.records;

import java.io.Serializable;

/**
 * The quality gate: hold an update whose PV log loss over the last {@code window} shadow-scored
 * examples (every {@code sample}-th batch) is worse than the published model's by more than
 * {@code margin}, for at most {@code maxHoldMs}, then publish ({@code publishAfterMaxHold}) or keep holding.
 */
public record GatePolicy(double margin, int window, int sample, long maxHoldMs, boolean publishAfterMaxHold)
        implements Serializable {}
