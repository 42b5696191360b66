package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdaGradUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdaGrad (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization", JMLR 2011), the deep part's optimizer in Cheng et al. 2016:
 * <pre>  G += g^2;  w -= lr * g / (sqrt(G) + eps)</pre>
 * with G starting at {@code initialAccumulator}. The dense step is one fused native op over the
 * whole parameter vector; the sparse step is a plain loop over the touched embedding rows.
 */
public final class AdaGrad extends AccumulatorOptimizer {
    private final double learningRate;
    private final double epsilon;

    public AdaGrad(double learningRate, double initialAccumulator, double epsilon) {
        super(initialAccumulator);
        this.learningRate = learningRate;
        this.epsilon = epsilon;
    }

    @Override
    public void step(INDArray params, INDArray grads) {
        // grads becomes lr * g / (sqrt(G) + eps) and G += g^2, in one op.
        Nd4j.exec(new AdaGradUpdater(grads, accumulator, learningRate, epsilon));
        params.subi(grads);
        iterations++;
    }

    @Override
    public AdaGrad copy() {
        return new AdaGrad(learningRate, initialAccumulator, epsilon);
    }

    @Override
    public void stepRow(float[] w, int wOff, float[] state, int sOff, float[] g, int gOff, int dim, long t) {
        float lr = (float) learningRate;
        float eps = (float) epsilon;
        for (int j = 0; j < dim; j++) {
            float gj = g[gOff + j];
            float acc = state[sOff + j] + gj * gj;
            state[sOff + j] = acc;
            w[wOff + j] -= lr * gj / ((float) Math.sqrt(acc) + eps);
        }
    }

    @Override
    public String toString() {
        return "AdaGrad(learningRate=" + learningRate + ", initialAccumulator=" + initialAccumulator
                + ", epsilon=" + epsilon + ", iterations=" + iterations + ")";
    }
}
