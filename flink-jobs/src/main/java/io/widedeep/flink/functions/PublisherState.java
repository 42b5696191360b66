package io.widedeep.flink.functions;

import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.metrics.QualityGate;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What the publishing trainer checkpoints besides the model: the epoch it published in, its
 * progressive-validation totals and its quality gate's window. Layout 2: a marker (-2, never an
 * epoch, which is a wall-clock time), the epoch, the number of totals, the totals, the gate's bytes.
 * Layout 1 (the epoch and four totals, no marker) is still read.
 */
final class PublisherState {
    private static final long LAYOUT_2 = -2;

    private PublisherState() {}

    static byte[] write(long epoch, ProgressiveValidation pv, QualityGate gate) {
        double[] t = pv.totals();
        byte[] g = gate.toBytes();
        ByteBuffer b = ByteBuffer.allocate(20 + 8 * t.length + g.length).putLong(LAYOUT_2).putLong(epoch).putInt(t.length);
        for (double v : t) b.putDouble(v);
        return b.put(g).array();
    }

    /** Restores the totals and the gate from {@code state}; returns the epoch it was written in. */
    static long read(byte[] state, ProgressiveValidation pv, QualityGate gate) {
        ByteBuffer b = ByteBuffer.wrap(state);
        long first = b.getLong();
        long epoch = first == LAYOUT_2 ? b.getLong() : first;
        double[] totals = new double[first == LAYOUT_2 ? b.getInt() : 4];
        for (int i = 0; i < totals.length; i++) totals[i] = b.getDouble();
        pv.restoreTotals(totals);
        if (b.hasRemaining()) gate.restore(Arrays.copyOfRange(state, b.position(), state.length));
        return epoch;
    }
}
