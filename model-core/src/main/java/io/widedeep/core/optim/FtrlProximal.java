package io.widedeep.core.optim;

import io.widedeep.core.spec.FeatureSpec;

/**
 * FTRL-Proximal with per-coordinate learning rates, L1 and L2 (McMahan et al., "Ad Click
 * Prediction: a View from the Trenches", KDD 2013, Algorithm 1). The state of coordinate i is
 * (z_i, n_i); its weight is a closed form of them:
 * <pre>
 *   w_i = 0                                                     if |z_i| &lt;= l1
 *   w_i = -(z_i - sgn(z_i) l1) / ((beta + sqrt(n_i)) / alpha + l2)   otherwise
 * </pre>
 * and a gradient g updates it by {@code sigma = (sqrt(n + g^2) - sqrt(n)) / alpha; z += g - sigma w;
 * n += g^2}. With l1 &gt; 0 most weights of a sparse model stay exactly zero.
 *
 * <p>This record holds only the hyper-parameters; the state lives in the caller's primitive arrays
 * (the wide table), so one instance serves millions of coordinates without allocation.
 */
public record FtrlProximal(double alpha, double beta, double l1, double l2) {
    public FtrlProximal(FeatureSpec.Ftrl c) {
        this(c.alpha(), c.beta(), c.l1(), c.l2());
    }

    /**
     * The bias: no L1 (it must never be sparsified) and its own, larger learning rate, so that it
     * finds the stream's base rate within a few batches even when the CTR is far from 0.5.
     */
    public static FtrlProximal forBias(FeatureSpec.Ftrl c) {
        return new FtrlProximal(c.biasAlpha(), c.beta(), 0, 0);
    }

    /** Weight of a coordinate with state (z, n). */
    public double weight(double z, double n) {
        if (Math.abs(z) <= l1) {
            return 0.0;
        }
        return -(z - Math.signum(z) * l1) / ((beta + Math.sqrt(n)) / alpha + l2);
    }

    /**
     * One step on coordinate i with gradient g; updates z[i] and n[i] and returns the new weight.
     * The current weight is recomputed from (z, n), so callers need not keep it in sync.
     */
    public double step(double[] z, double[] n, int i, double g) {
        return step(z, n, i, g, g * g);
    }

    /**
     * One step on coordinate i for a mini-batch: {@code g} is the batch's summed gradient and
     * {@code gSquared} the sum of its examples' squared gradients, so n accumulates per-example
     * squares as in McMahan et al.'s Algorithm 1 (not the square of the sum, which one batch of
     * same-sign gradients inflates).
     */
    public double step(double[] z, double[] n, int i, double g, double gSquared) {
        double ni = n[i];
        double w = weight(z[i], ni);
        double nNew = ni + gSquared;
        double sigma = (Math.sqrt(nNew) - Math.sqrt(ni)) / alpha;
        z[i] += g - sigma * w;
        n[i] = nNew;
        return weight(z[i], nNew);
    }

}
