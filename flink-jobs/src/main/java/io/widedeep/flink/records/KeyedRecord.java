package io.widedeep.flink.records;

/** A Kafka record ready to send: key and value bytes. A Flink POJO. */
public final class KeyedRecord {
    public byte[] key;
    public byte[] value;

    public KeyedRecord() {}

    public KeyedRecord(byte[] key, byte[] value) {
        this.key = key;
        this.value = value;
    }
}
