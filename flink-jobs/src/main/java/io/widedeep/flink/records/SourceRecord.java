package io.widedeep.flink.records;

import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;

/**
 * A record as read from the clicks topic: either a valid event (what the joiner needs to route and
 * match it, and its original bytes, decoded again only where its features are built) or a dead letter
 * (reason and where it came from).
 *
 * <p>Invariants: {@code raw} is never null. Valid: {@code userId}, {@code eventId},
 * {@code impressionId}, {@code eventTime}, {@code click} (a click, else an impression) and
 * {@code labelled} (it carries its own label) are those of the event that {@code raw} decodes to,
 * which passed validation; {@code reason} is null. Invalid: {@code reason}, {@code topic},
 * {@code partition} and {@code offset} say why and where from. The bytes, not a decoded event, cross
 * the shuffle to the joiner: they are compact, need no Avro type information in Flink, and are what
 * the joiner keeps in state for pending impressions; the header fields let it match clicks and park
 * impressions without decoding them a second time. Fields are public and mutable only for Flink's
 * POJO serializer; records are built by the two factories and never changed.
 */
public class SourceRecord {
    public boolean valid;
    public String userId;
    public String eventId;
    public String impressionId;
    public long eventTime;
    public boolean click;
    public boolean labelled;
    public byte[] raw;
    public String reason;
    public String topic;
    public int partition;
    public long offset;
    /** Wall-clock ms: the record's Kafka timestamp, when the source read it, when it passed validation. */
    public long kafkaTime;
    public long readAt;
    public long validatedAt;

    public SourceRecord() {}

    /** A validated event and the bytes it was decoded from. */
    public static SourceRecord valid(ClickEvent e, byte[] raw, long kafkaTime, long readAt) {
        SourceRecord r = new SourceRecord();
        r.valid = true;
        r.userId = e.getUserId();
        r.eventId = e.getEventId();
        r.impressionId = e.getImpressionId();
        r.eventTime = e.getEventTime();
        r.click = e.getEventType() == EventType.CLICK;
        r.labelled = e.getLabel() != null;
        r.raw = raw;
        r.kafkaTime = kafkaTime;
        r.readAt = readAt;
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
        return valid ? "SourceRecord(valid, " + (click ? "click" : "impression") + " " + eventId + " of " + impressionId
                + ", user=" + userId + ", eventTime=" + eventTime + (labelled ? ", labelled" : "") + ", " + raw.length + " bytes)"
                : "SourceRecord(invalid: " + reason + ", " + topic + "-" + partition + "@" + offset + ")";
    }
}
