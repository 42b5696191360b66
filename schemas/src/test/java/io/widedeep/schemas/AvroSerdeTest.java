package io.widedeep.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static ClickEvent event() {
        return ClickEvent.newBuilder()
                .setEventId("e1").setEventType(EventType.IMPRESSION).setImpressionId("i1")
                .setUserId("u1").setItemId("item9").setEventTime(1_700_000_000_000L)
                .setContext(Map.of("device", "ios")).setNumeric(Map.of("price", 9.5))
                .setLabel(1).build();
    }

    @Test
    void roundTripsCurrentVersion() throws Exception {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        byte[] bytes = serde.encode(event());
        assertEquals((byte) 0xC3, bytes[0], "single-object marker");
        assertEquals((byte) 0x01, bytes[1], "single-object marker");
        assertEquals(event(), serde.decode(bytes));
    }

    @Test
    void readsMessageWrittenWithPreviousSchemaVersion() throws Exception {
        Schema v1 = AvroSerde.historicSchema("ClickEvent-v1.avsc");
        GenericRecord old = new GenericData.Record(v1);
        old.put("event_id", "e7");
        old.put("event_type", new GenericData.EnumSymbol(v1.getField("event_type").schema(), "CLICK"));
        old.put("impression_id", "i7");
        old.put("user_id", "u7");
        old.put("item_id", "it7");
        old.put("event_time", 42L);
        old.put("context", Map.of("page", "home"));
        old.put("numeric", Map.of());
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        ClickEvent decoded = AvroSerde.clickEvents().decode(bytes);
        assertEquals("e7", decoded.getEventId());
        assertEquals(EventType.CLICK, decoded.getEventType());
        assertEquals("home", decoded.getContext().get("page"));
        assertNull(decoded.getLabel(), "field added in v2 takes its default");
    }

    @Test
    void unknownFingerprintIsRefusedWithReason() throws Exception {
        Schema other = new Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"Other\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
        GenericRecord r = new GenericData.Record(other);
        r.put("x", 3);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), other).encode(r).array();
        MalformedMessageException e =
                assertThrows(MalformedMessageException.class, () -> AvroSerde.clickEvents().decode(bytes));
        assertTrue(e.getMessage().startsWith("unknown schema fingerprint"), e.getMessage());
        String seen = java.util.HexFormat.of().formatHex(bytes, 2, 10);
        assertTrue(e.getMessage().contains(seen), "names the fingerprint it saw: " + e.getMessage());
        for (String accepted : AvroSerde.clickEvents().fingerprints()) {
            assertTrue(e.getMessage().contains(accepted), "names the ones it reads: " + e.getMessage());
        }
    }

    /**
     * The writer schema a producer in another language reads is one self-contained file: parsed alone
     * (as fastavro or any parser reads a file), it has the fingerprint the job reads, the one README names.
     */
    @Test
    void theClickEventFileStandsAloneWithTheFingerprintTheReadmeNames() throws Exception {
        java.nio.file.Path root = java.nio.file.Path.of(System.getProperty("user.dir")).getParent();
        Schema alone = new Schema.Parser().parse(root.resolve("schemas/src/main/avro/ClickEvent.avsc").toFile());
        assertEquals(org.apache.avro.SchemaNormalization.parsingFingerprint64(ClickEvent.getClassSchema()),
                org.apache.avro.SchemaNormalization.parsingFingerprint64(alone));
        String current = AvroSerde.clickEvents().fingerprints().get(0);
        assertEquals("f643ad88f70929e6", current, "README's fingerprint, as the wire carries it");
        String readme = java.nio.file.Files.readString(root.resolve("README.md"));
        assertTrue(readme.contains(current), "README names the fingerprint " + current);
    }

    @Test
    void garbageAndTruncatedBytesAreRefused() throws Exception {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        Random rnd = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] garbage = new byte[1 + rnd.nextInt(200)];
            rnd.nextBytes(garbage);
            if (garbage.length > 1 && garbage[0] == (byte) 0xC3) {
                garbage[0] = 0;
            }
            assertThrows(MalformedMessageException.class, () -> serde.decode(garbage));
        }
        byte[] good = serde.encode(event());
        for (int len = 0; len < good.length - 1; len++) {
            byte[] truncated = Arrays.copyOf(good, len);
            MalformedMessageException e =
                    assertThrows(MalformedMessageException.class, () -> serde.decode(truncated), "length " + len);
            assertTrue(e.getMessage().length() > 5);
        }
    }

    @Test
    void trailingBytesAfterAValidMessageAreRefused() throws Exception {
        AvroSerde<ClickEvent> serde = AvroSerde.clickEvents();
        byte[] good = serde.encode(event());
        byte[] padded = Arrays.copyOf(good, good.length + 3);
        MalformedMessageException e = assertThrows(MalformedMessageException.class, () -> serde.decode(padded));
        assertEquals("3 trailing bytes after a ClickEvent of " + good.length + " bytes", e.getMessage());
    }

    @Test
    void deadLetterOfTheFirstVersionStillDecodes() throws Exception {
        Schema v1 = AvroSerde.historicSchema("DeadLetter-v1.avsc");
        GenericRecord old = new GenericData.Record(v1);
        old.put("reason", "bad");
        old.put("source_topic", "clicks");
        old.put("source_partition", 1);
        old.put("source_offset", 42L);
        old.put("raw", java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
        old.put("detected_at", 7L);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();
        DeadLetter d = AvroSerde.deadLetters().decode(bytes);
        assertEquals("bad", d.getReason());
        assertEquals(-1L, d.getRawLength(), "field added in v2 takes its default");
        assertEquals("", d.getRawSha256());
    }

    @Test
    void updateChunkOfTheFirstVersionStillDecodes() throws Exception {
        Schema v1 = AvroSerde.historicSchema("ModelUpdateChunk-v1.avsc");
        GenericRecord old = new GenericData.Record(v1);
        for (Schema.Field f : v1.getFields()) {
            switch (f.schema().getType()) {
                case LONG -> old.put(f.name(), 3L);
                case INT -> old.put(f.name(), 0);
                case DOUBLE -> old.put(f.name(), 0.5);
                case BYTES -> old.put(f.name(), java.nio.ByteBuffer.wrap(new byte[] {9}));
                case ENUM -> old.put(f.name(), new GenericData.EnumSymbol(f.schema(), "DELTA"));
                default -> throw new AssertionError(f);
            }
        }
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();
        ModelUpdateChunk c = AvroSerde.modelUpdates().decode(bytes);
        assertEquals(UpdateKind.DELTA, c.getKind());
        assertEquals(3L, c.getVersion());
        assertEquals(0, c.getFreshness().remaining(), "field added in v2 takes its default");
        assertEquals(9, c.getData().get(0));
    }
}
