package io.widedeep.core.features;

/**
 * One example's features, extracted upstream of the trainer (in the keyed joiner, where the user's
 * history lives) and shipped to it. A plain POJO with primitive arrays so that stream processors
 * serialise it without reflection tricks. {@code fieldEnds[f]} is the end of field f's values in
 * {@code values}; numerics are indexed by field.
 */
public final class FeatureRow {
    public long[] values;
    public int[] fieldEnds;
    public float[] numerics;
    public long[] wideKeys;
    public float label;
    public long eventTime;

    public FeatureRow() {}
}
