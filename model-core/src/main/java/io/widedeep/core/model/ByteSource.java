package io.widedeep.core.model;

import java.io.EOFException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Reads what {@link ByteSink} wrote; running past the end is an {@link EOFException}. */
final class ByteSource {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] buf;
    private int pos;
    private final int end;

    ByteSource(byte[] buf, int from, int to) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
    }

    private void need(int n) throws EOFException {
        if (n < 0 || pos + n > end) throw new EOFException("model payload ends early at byte " + pos);
    }

    byte readByte() throws EOFException { need(1); return buf[pos++]; }
    boolean readBoolean() throws EOFException { return readByte() != 0; }
    int readInt() throws EOFException { need(4); int v = (int) INT.get(buf, pos); pos += 4; return v; }
    long readLong() throws EOFException { need(8); long v = (long) LONG.get(buf, pos); pos += 8; return v; }
    float readFloat() throws EOFException { need(4); float v = (float) FLOAT.get(buf, pos); pos += 4; return v; }
    double readDouble() throws EOFException { need(8); double v = (double) DOUBLE.get(buf, pos); pos += 8; return v; }

    void readFloats(float[] a, int off, int len) throws EOFException {
        need(4 * len);
        for (int i = 0; i < len; i++) {
            a[off + i] = (float) FLOAT.get(buf, pos);
            pos += 4;
        }
    }

    void readFully(byte[] b) throws EOFException {
        need(b.length);
        System.arraycopy(buf, pos, b, 0, b.length);
        pos += b.length;
    }

    int available() {
        return end - pos;
    }
}
