package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.spec.FeatureSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The MLP's analytic gradient on a backend against central finite differences of the batch's summed
 * log loss, in float64: what {@code widedeep gpu-check} runs on a device before a trainer is trusted
 * with it (the test suite checks every parameter of every part the same way on ND4J and libtorch).
 * A few weights and biases of every layer (and gains and shifts where layers are normalised) are checked, after a few training steps so that the
 * weights have left their initial values.
 */
public final class DenseGradientCheck {
    private static final double H = 1e-4;

    /** The outcome: parameters compared, the largest error relative to the tolerance (below 1 passes), parameters on a ReLU kink. */
    public record Result(int checked, double worstRatio, int kinks) {
        public boolean passed() {
            return checked > 0 && worstRatio < 1;
        }
    }

    private static final double[] NOT_CHECKED = {};

    private DenseGradientCheck() {}

    /**
     * Checks {@code perLayer} weights and the same number of biases of every layer; {@code warmup}
     * batches are trained first and {@code probe} is the batch the loss is taken over.
     */
    public static Result run(FeatureSpec spec, DenseBackend backend, int device, Iterable<ExampleBatch> warmup,
                             ExampleBatch probe, int perLayer) {
        return run(spec, backend, device, warmup, probe, perLayer, 1.0);
    }

    /** {@code skew} scales the analytic gradient: a check that cannot fail is no check (tests). */
    static Result run(FeatureSpec spec, DenseBackend backend, int device, Iterable<ExampleBatch> warmup,
                      ExampleBatch probe, int perLayer, double skew) {
        WideDeepModel m = WideDeepModel.create(spec, DataType.DOUBLE);
        if (m.mlp == null) throw new IllegalArgumentException("the spec has no deep part to check");
        m.useDenseBackend(backend, device);
        for (ExampleBatch b : warmup) m.trainBatch(b, null);
        m.forwardBackward(probe, null);
        Mlp mlp = m.mlp;
        int checked = 0, kinks = 0;
        double worst = 0;
        for (int l = 0; l < mlp.sizes.length - 1; l++) {
            INDArray w = mlp.weights(l), b = mlp.biases(l);
            long n = w.length();
            for (int k = 0; k < perLayer; k++) {
                long i = (k * 7919L + l * 31L) % n;
                int j = (int) ((k * 13L + l) % b.length());
                double[] rw = compare(m, probe, w, i, skew * mlp.weightGrad(l, i));
                double[] rb = compare(m, probe, b, j, skew * mlp.biasGrad(l, j));
                double[] rg = NOT_CHECKED, rs = NOT_CHECKED;
                int g = mlp.gammaOffset(l);
                if (g >= 0) { // layer normalisation's gain and shift of one unit
                    int unit = (int) ((k * 5L + l) % b.length());
                    rg = compare(m, probe, mlp.params, g + unit, skew * mlp.grads.getDouble(g + unit));
                    int shift = g + (int) b.length() + unit;
                    rs = compare(m, probe, mlp.params, shift, skew * mlp.grads.getDouble(shift));
                }
                for (double[] r : new double[][] {rw, rb, rg, rs}) {
                    if (r == NOT_CHECKED) continue;
                    if (Double.isNaN(r[0])) {
                        kinks++;
                    } else {
                        worst = Math.max(worst, r[0]);
                        checked++;
                    }
                }
            }
        }
        return new Result(checked, worst, kinks);
    }

    /**
     * {error / tolerance} for one parameter, or NaN where it sits on a kink (one-sided differences
     * disagree by more than the error: no derivative there).
     */
    private static double[] compare(WideDeepModel m, ExampleBatch probe, INDArray params, long i, double analytic) {
        double orig = params.getDouble(i);
        boolean dropout = m.spec.dropout() > 0; // then the training forward of the same step: the same masks
        double l0 = m.loss(probe, dropout);
        params.putScalar(i, orig + H);
        double up = m.loss(probe, dropout);
        params.putScalar(i, orig - H);
        double down = m.loss(probe, dropout);
        params.putScalar(i, orig);
        double numeric = (up - down) / (2 * H);
        double tol = 1e-6 + 1e-4 * Math.max(Math.abs(numeric), Math.abs(analytic));
        double error = Math.abs(numeric - analytic);
        double right = (up - l0) / H, left = (l0 - down) / H;
        if (error > tol && Math.abs(right - left) > error) return new double[] {Double.NaN};
        return new double[] {error / tol};
    }
}
