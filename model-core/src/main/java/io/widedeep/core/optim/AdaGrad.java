package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdaGradUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdaGrad (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization", JMLR 2011), the deep part's optimizer in Cheng et al. 2016:
 * <pre>  G += g^2;  w -= lr * g / (sqrt(G) + eps)</pre>
 * with G starting at {@code initialAccumulator}. The dense step is one fused native op over the
 * whole parameter vector; the sparse step (embedding rows) is the accumulator base's loop.
 */
public final class AdaGrad extends AccumulatorOptimizer {
    public AdaGrad(double learningRate, double initialAccumulator, double epsilon) {
        super(learningRate, initialAccumulator, epsilon, 1, 1);
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
    public String toString() {
        return "AdaGrad(learningRate=" + learningRate + ", initialAccumulator=" + initialAccumulator
                + ", epsilon=" + epsilon + ", iterations=" + iterations + ")";
    }
}
