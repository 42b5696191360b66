package io.widedeep.flink.records;

/**
 * A record as read from the clicks topic: either a valid event (user, event time and its original
 * bytes, decoded again where its features are built) or a dead letter (reason and where it came from).
 *
 * <p>Invariants: {@code raw} is never null. Valid: {@code userId} and {@code eventTime} are those of
 * the event that {@code raw} decodes to, which passed validation; {@code reason} is null. Invalid:
 * {@code reason}, {@code topic}, {@code partition} and {@code offset} say why and where from. The
 * bytes, not a decoded event, cross the shuffle to the joiner: they are compact, need no Avro type
 * information in Flink, and are what the joiner keeps in state for pending impressions. Fields are
 * public and mutable only for Flink's POJO serializer; records are built by the two factories and
 * never changed.
 */
public class SourceRecord {
    public boolean valid;
    public String userId;
    public long eventTime;
    public byte[] raw;
    public String reason;
    public String topic;
    public int partition;
    public long offset;

    public SourceRecord() {}

    public static SourceRecord valid(String userId, long eventTime, byte[] raw) {
        SourceRecord r = new SourceRecord();
        r.valid = true;
        r.userId = userId;
        r.eventTime = eventTime;
        r.raw = raw;
        return r;
    }

    public static SourceRecord invalid(String reason, byte[] raw, String topic, int partition, long offset) {
        SourceRecord r = new SourceRecord();
        r.reason = reason;
        r.raw = raw == null ? new byte[0] : raw;
        r.topic = topic;
        r.partition = partition;
        r.offset = offset;
        return r;
    }

    @Override
    public String toString() {
        return valid ? "SourceRecord(valid, user=" + userId + ", eventTime=" + eventTime + ", " + raw.length + " bytes)"
                : "SourceRecord(invalid: " + reason + ", " + topic + "-" + partition + "@" + offset + ")";
    }
}
