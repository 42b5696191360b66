package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSprop (Tieleman and Hinton, COURSERA Neural Networks for Machine Learning, lecture 6.5, 2012):
 * AdaGrad with a leaky accumulator, so the step size does not decay forever on a long stream:
 * <pre>  G = rho G + (1-rho) g^2;  w -= lr * g / (sqrt(G) + eps)</pre>
 * with G starting at zero (as in PyTorch). Embedding rows update lazily: only touched rows move
 * (the accumulator base's loop).
 */
public final class RmsProp extends AccumulatorOptimizer {
    private final double rho;

    public RmsProp(double learningRate, double rho, double epsilon) {
        super(learningRate, 0, epsilon, rho, 1 - rho);
        this.rho = rho;
    }

    @Override
    public void step(INDArray params, INDArray grads) {
        accumulator.muli(rho).addi(grads.mul(grads).muli(1 - rho));
        INDArray denominator = Transforms.sqrt(accumulator, true).addi(epsilon);
        params.subi(grads.divi(denominator).muli(learningRate));
        iterations++;
    }

    @Override
    public RmsProp copy() {
        return new RmsProp(learningRate, rho, epsilon);
    }

    @Override
    public String toString() {
        return "RmsProp(learningRate=" + learningRate + ", rho=" + rho + ", epsilon=" + epsilon
                + ", iterations=" + iterations + ")";
    }
}
