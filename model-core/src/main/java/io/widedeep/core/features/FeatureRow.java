package io.widedeep.core.features;

/**
 * One example's features, extracted upstream of the trainer (in the keyed joiner, where the user's
 * history lives) and shipped to it. A plain POJO with primitive arrays so that stream processors
 * serialise it without reflection tricks. {@code fieldEnds[f]} is the end of field f's values in
 * {@code values}; numerics are indexed by field.
 *
 * <p>Invariants: {@code fieldEnds} has one entry per spec field and never decreases, its last entry
 * is {@code values.length}; {@code numerics} has one entry per spec field (0 for categorical ones);
 * {@code wideKeys} are the hashed wide features and crosses; {@code label} is 0 or 1, and 1 for a
 * {@code lateClick}: the click of an impression that was already trained as a negative, trained as a
 * correction of that negative (see {@code WideDeepModel}) and not scored again. Fields are
 * public and mutable only because Flink's POJO serializer needs them so: a row is written once, by
 * {@link ExampleBatch#row}, and never changed after it is emitted.
 */
public final class FeatureRow {
    public long[] values;
    public int[] fieldEnds;
    public float[] numerics;
    public long[] wideKeys;
    public float label;
    public boolean lateClick;
    public long eventTime;
    /**
     * Wall-clock ms at which the event that labelled this example reached Kafka, was read by the job's
     * source, passed validation, and was labelled by the joiner: the first stages of
     * {@code FreshnessBreakdown}. 0 where not measured.
     */
    public long kafkaTime;
    /**
     * Event time of what labelled this example: the click, the labelled impression itself, or the end
     * of the attribution window that made it a negative. The newest of these is the newest event a
     * model has learned from ({@code eventTime} is the impression's). 0 where not known.
     */
    public long labelTime;
    public long readAt;
    public long validatedAt;
    public long labelledAt;

    public FeatureRow() {}

    @Override
    public String toString() {
        return "FeatureRow(values=" + (values == null ? 0 : values.length) + ", wideKeys="
                + (wideKeys == null ? 0 : wideKeys.length) + ", label=" + label + (lateClick ? ", late click" : "") + ", eventTime=" + eventTime + ")";
    }
}
