package io.widedeep.core.updates;

import io.widedeep.schemas.ModelUpdateChunk;
import io.widedeep.schemas.UpdateKind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * Reassembles chunks, read in topic order, into complete updates. An update is complete when its
 * last chunk (the completion marker) arrives after all the others; a chunk out of sequence drops the
 * partial update (counted), and a payload whose size or CRC does not match is refused.
 */
public final class UpdateAssembler {
    /** Thrown for a complete update whose payload does not match its size or checksum. */
    public static final class CorruptUpdateException extends Exception {
        public CorruptUpdateException(String message) {
            super(message);
        }
    }

    private long epoch = Long.MIN_VALUE;
    private long version = Long.MIN_VALUE;
    private int nextChunk;
    private ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private long droppedPartials;

    /** Adds a chunk; returns the update it completes, or null. */
    public ModelUpdate accept(ModelUpdateChunk c) throws CorruptUpdateException {
        if (c.getChunkIndex() == 0) {
            if (nextChunk != 0) droppedPartials++;
            epoch = c.getEpoch();
            version = c.getVersion();
            nextChunk = 0;
            buffer = new ByteArrayOutputStream((int) Math.min(c.getPayloadSize(), 1 << 26));
        } else if (c.getEpoch() != epoch || c.getVersion() != version || c.getChunkIndex() != nextChunk) {
            if (nextChunk != 0) droppedPartials++;
            nextChunk = 0;
            return null; // a chunk without its beginning: nothing to assemble
        }
        ByteBuffer data = c.getData().duplicate();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        buffer.write(bytes, 0, bytes.length);
        nextChunk++;
        if (nextChunk < c.getChunkCount()) {
            return null;
        }
        nextChunk = 0;
        byte[] payload = buffer.toByteArray();
        if (payload.length != c.getPayloadSize()) {
            throw new CorruptUpdateException("update " + epoch + "/" + version + ": " + payload.length
                    + " bytes assembled, " + c.getPayloadSize() + " announced");
        }
        CRC32 crc = new CRC32();
        crc.update(payload);
        if (crc.getValue() != c.getPayloadCrc32()) {
            throw new CorruptUpdateException("update " + epoch + "/" + version + ": payload CRC mismatch");
        }
        return new ModelUpdate(UpdateMetadata.of(c), payload, bytes(c.getFreshness()));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** Partial updates abandoned because a chunk was missing or out of order. */
    public long droppedPartials() {
        return droppedPartials;
    }
}
