package io.widedeep.schemas;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding (a 2-byte marker, the 8-byte CRC-64-AVRO fingerprint of the writer
 * schema, then the binary body) for one generated record type. Older writer schemas registered with
 * {@link #withHistory} are resolved to the current one, so producers can upgrade after the job does.
 *
 * <p>An unknown fingerprint, a bad header or a truncated or corrupt body all end in a {@link MalformedMessageException} whose message names the cause.
 * Instances are not thread-safe (the encoder reuses a buffer); give each thread its own.
 */
public final class AvroSerde<T extends SpecificRecord> {
    /** Packages Avro 1.12 may instantiate classes from; ours included, or every decode is refused. */
    public static final String TRUSTED_PACKAGES = "java.lang,java.math,java.io,java.net,org.apache.avro.reflect,io.widedeep";

    static {
        // Every JVM that decodes our records comes through here first (jobs, task managers, servers),
        // so trusting our package here covers them all; an explicit setting is left as it is.
        if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null) {
            System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", TRUSTED_PACKAGES);
        }
    }

    private final Schema schema;
    private final List<String> fingerprints = new ArrayList<>(); // of the schemas read: the current, then the older ones
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private AvroSerde(Schema schema, SchemaStore.Cache history) {
        this.schema = schema;
        SpecificData model = SpecificData.getForSchema(schema);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema, history);
        this.fingerprints.add(wireFingerprint(schema));
    }

    /** Serde for the given current schema, knowing no older versions. */
    public static <T extends SpecificRecord> AvroSerde<T> of(Schema current) {
        return new AvroSerde<>(current, new SchemaStore.Cache());
    }

    /** Serde for the current schema that also reads messages written with the given older schemas. */
    public static <T extends SpecificRecord> AvroSerde<T> withHistory(Schema current, Schema... older) {
        SchemaStore.Cache cache = new SchemaStore.Cache();
        for (Schema s : older) {
            cache.addSchema(s);
        }
        AvroSerde<T> serde = new AvroSerde<>(current, cache);
        for (Schema s : older) {
            serde.decoder.addSchema(s);
            serde.fingerprints.add(wireFingerprint(s));
        }
        return serde;
    }

    /** The events topic's serde: current {@link ClickEvent} plus every earlier version we shipped. */
    public static AvroSerde<ClickEvent> clickEvents() {
        return withHistory(ClickEvent.getClassSchema(), historicSchema("ClickEvent-v1.avsc"));
    }

    /** The updates topic's serde: current {@link ModelUpdateChunk} plus every earlier version, so a server reads a topic older jobs wrote. */
    public static AvroSerde<ModelUpdateChunk> modelUpdates() {
        return withHistory(ModelUpdateChunk.getClassSchema(), historicSchema("ModelUpdateChunk-v1.avsc"));
    }

    /** The serving-features topic's serde (the job's user histories and item attributes for servers). */
    public static AvroSerde<ServingFeatures> servingFeatures() {
        return of(ServingFeatures.getClassSchema());
    }

    public static AvroSerde<DeadLetter> deadLetters() {
        return withHistory(DeadLetter.getClassSchema(), historicSchema("DeadLetter-v1.avsc"));
    }

    static Schema historicSchema(String resource) {
        try (InputStream in = AvroSerde.class.getResourceAsStream("history/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("schema resource missing: " + resource);
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Schema schema() {
        return schema;
    }

    /**
     * The fingerprints this serde reads, as a message carries them: the 8 bytes after the {@code C3 01}
     * marker in hex (the CRC-64-AVRO of the schema's parsing canonical form, little-endian), current first.
     */
    public List<String> fingerprints() {
        return List.copyOf(fingerprints);
    }

    private static String wireFingerprint(Schema s) {
        long fp = SchemaNormalization.parsingFingerprint64(s);
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (fp >>> (8 * i));
        return HexFormat.of().formatHex(b);
    }

    private static String wireFingerprint(byte[] message) {
        return message.length < 10 ? "(message too short)" : HexFormat.of().formatHex(message, 2, 10);
    }

    public byte[] encode(T record) {
        try {
            ByteBuffer buf = encoder.encode(record);
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes one message, or explains why it cannot. */
    public T decode(byte[] message) throws MalformedMessageException {
        if (message == null || message.length == 0) {
            throw new MalformedMessageException("empty message");
        }
        ByteArrayInputStream in = new ByteArrayInputStream(message);
        T record;
        try {
            record = decoder.decode(in, null);
        } catch (MissingSchemaException e) {
            throw new MalformedMessageException("unknown schema fingerprint " + wireFingerprint(message) + "; "
                    + schema.getName() + " is read with " + fingerprints + " (the 8 bytes after C3 01, as written)", e);
        } catch (BadHeaderException e) {
            throw new MalformedMessageException("not Avro single-object encoded: " + e.getMessage(), e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException
                | ClassCastException | OutOfMemoryError e) {
            throw new MalformedMessageException("corrupt " + schema.getName() + " body: " + e, e);
        }
        if (in.available() > 0) {
            // a valid message followed by anything else is not the message its producer meant
            throw new MalformedMessageException(in.available() + " trailing bytes after a " + schema.getName()
                    + " of " + (message.length - in.available()) + " bytes");
        }
        return record;
    }
}
