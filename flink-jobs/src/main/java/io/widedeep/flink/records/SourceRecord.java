package io.widedeep.flink.records;

/**
 * A record as read from the clicks topic: either a valid event (user, event time and its original
 * bytes, decoded again where its features are built) or a dead letter (reason and where it came from).
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
}
