package io.widedeep.core.model;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A growable big-endian byte buffer: the same bytes {@code DataOutputStream} would write, at memory
 * speed (snapshots of tens of megabytes are written at every checkpoint and published every minute).
 */
final class ByteSink {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

    private byte[] buf;
    private int pos;

    ByteSink(int initial) {
        buf = new byte[Math.max(64, initial)];
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(pos + n, (int) Math.min(Integer.MAX_VALUE - 16, buf.length * 2L)));
        }
    }

    void putByte(int b) { ensure(1); buf[pos++] = (byte) b; }
    void putBoolean(boolean b) { putByte(b ? 1 : 0); }
    void putInt(int v) { ensure(4); INT.set(buf, pos, v); pos += 4; }
    void putLong(long v) { ensure(8); LONG.set(buf, pos, v); pos += 8; }
    void putFloat(float v) { ensure(4); FLOAT.set(buf, pos, v); pos += 4; }
    void putDouble(double v) { ensure(8); DOUBLE.set(buf, pos, v); pos += 8; }

    void putFloats(float[] a, int off, int len) {
        ensure(4 * len);
        for (int i = 0; i < len; i++) {
            FLOAT.set(buf, pos, a[off + i]);
            pos += 4;
        }
    }

    void putBytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    int position() { return pos; }
    byte[] array() { return buf; }

    byte[] toArray() {
        return Arrays.copyOf(buf, pos);
    }
}
