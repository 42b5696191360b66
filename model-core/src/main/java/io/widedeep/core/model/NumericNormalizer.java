package io.widedeep.core.model;

/**
 * Running standardisation of the deep part's numeric inputs (Welford's algorithm): an input is
 * scored with the statistics of the examples trained before it, then added to them.
 */
final class NumericNormalizer {
    double count;
    final double[] mean;
    final double[] m2;

    NumericNormalizer(int width) {
        mean = new double[width];
        m2 = new double[width];
    }

    float normalize(int j, float x) {
        if (count < 2) {
            return (float) (x - mean[j]);
        }
        double var = m2[j] / count;
        return (float) ((x - mean[j]) / Math.sqrt(var + 1e-8));
    }

    void beginExample() {
        count++;
    }

    void add(int j, float x) {
        double d = x - mean[j];
        mean[j] += d / count;
        m2[j] += d * (x - mean[j]);
    }
}
