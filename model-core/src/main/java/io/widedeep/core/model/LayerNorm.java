package io.widedeep.core.model;

/**
 * Layer normalisation (Ba, Kiros and Hinton, "Layer Normalization", arXiv:1607.06450, 2016) of a hidden
 * layer's pre-activations, row by row: {@code z = gamma * (h - mean(h)) / sqrt(var(h) + eps) + beta},
 * mean and variance over the row's units, gain {@code gamma} and shift {@code beta} learned per unit.
 * A row is normalised by its own statistics, so an example scores the same alone, in a request of
 * candidates, in a training batch or on any of N data-parallel trainers: serving equals training by
 * construction, with no running statistics to carry (batch normalisation's need them, and its
 * training output depends on which examples share a batch).
 *
 * <p>Computed in double on the host over a layer's rows (a batch's hidden layer is ~10^5 values); the
 * training forward and scoring run the same {@link #forward}, so their outputs agree bit for bit.
 */
final class LayerNorm {
    static final double EPS = 1e-5;

    private LayerNorm() {}

    /**
     * Normalises {@code rows} rows of {@code width} values of {@code h} in place. With {@code normed}
     * non-null (training) keeps each value's normalised form and each row's 1/sigma for {@link #backward}.
     */
    static void forward(double[] h, int rows, int width, double[] gamma, double[] beta, double[] normed, double[] invStd) {
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double mean = 0;
            for (int j = 0; j < width; j++) mean += h[o + j];
            mean /= width;
            double var = 0;
            for (int j = 0; j < width; j++) {
                double c = h[o + j] - mean;
                var += c * c;
            }
            double inv = 1 / Math.sqrt(var / width + EPS);
            for (int j = 0; j < width; j++) {
                double n = (h[o + j] - mean) * inv;
                if (normed != null) normed[o + j] = n;
                h[o + j] = gamma[j] * n + beta[j];
            }
            if (invStd != null) invStd[r] = inv;
        }
    }

    /**
     * Backwards: {@code d} holds dLoss/dz on entry and dLoss/dh on return; the gain's and shift's
     * gradients (summed over the rows) land in {@code dGamma} and {@code dBeta}. With n the normalised
     * values and g = d * gamma: dh = (1/sigma) (g - mean(g) - n mean(g n)).
     */
    static void backward(double[] d, int rows, int width, double[] gamma, double[] normed, double[] invStd,
                         double[] dGamma, double[] dBeta) {
        java.util.Arrays.fill(dGamma, 0, width, 0);
        java.util.Arrays.fill(dBeta, 0, width, 0);
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double meanG = 0, meanGn = 0;
            for (int j = 0; j < width; j++) {
                double dz = d[o + j], n = normed[o + j];
                dGamma[j] += dz * n;
                dBeta[j] += dz;
                double g = dz * gamma[j];
                meanG += g;
                meanGn += g * n;
            }
            meanG /= width;
            meanGn /= width;
            double inv = invStd[r];
            for (int j = 0; j < width; j++) {
                double g = d[o + j] * gamma[j];
                d[o + j] = inv * (g - meanG - normed[o + j] * meanGn);
            }
        }
    }
}
