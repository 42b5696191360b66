package io.widedeep.core.updates;

import io.widedeep.schemas.ModelUpdateChunk;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/** Splits an update into chunks that each fit under a broker's message size limit. */
public final class UpdateChunker {
    private static final byte[] NONE = new byte[0];

    private UpdateChunker() {}

    public static List<ModelUpdateChunk> split(ModelUpdate u, int maxChunkBytes) {
        if (maxChunkBytes < 1024) {
            throw new IllegalArgumentException("chunk size must be at least 1024 bytes, got " + maxChunkBytes);
        }
        byte[] p = u.payload();
        CRC32 crc = new CRC32();
        crc.update(p);
        int count = Math.max(1, (p.length + maxChunkBytes - 1) / maxChunkBytes);
        List<ModelUpdateChunk> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int from = i * maxChunkBytes;
            int len = Math.min(maxChunkBytes, p.length - from);
            out.add(u.meta().writeTo(ModelUpdateChunk.newBuilder()).setChunkIndex(i).setChunkCount(count)
                    .setPayloadSize(p.length).setPayloadCrc32(crc.getValue())
                    .setData(ByteBuffer.wrap(p, from, len).slice())
                    // the breakdown rides on the completing chunk only: the one the assembler reads metadata from
                    .setFreshness(ByteBuffer.wrap(i == count - 1 ? u.freshness() : NONE))
                    .build());
        }
        return out;
    }
}
