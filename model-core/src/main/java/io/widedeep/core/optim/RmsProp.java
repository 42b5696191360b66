package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSprop (Tieleman and Hinton, COURSERA Neural Networks for Machine Learning, lecture 6.5, 2012):
 * AdaGrad with a leaky accumulator, so the step size does not decay forever on a long stream:
 * <pre>  G = rho G + (1-rho) g^2;  w -= lr * g / (sqrt(G) + eps)</pre>
 * with G starting at zero (as in PyTorch). Embedding rows update lazily: only touched rows move.
 */
public final class RmsProp extends AccumulatorOptimizer {
    private final double learningRate;
    private final double rho;
    private final double epsilon;

    public RmsProp(double learningRate, double rho, double epsilon) {
        super(0);
        this.learningRate = learningRate;
        this.rho = rho;
        this.epsilon = epsilon;
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
    public void stepRow(float[] w, int wOff, float[] state, int sOff, float[] g, int gOff, int dim, long t) {
        float r = (float) rho;
        for (int j = 0; j < dim; j++) {
            float gj = g[gOff + j];
            float acc = r * state[sOff + j] + (1 - r) * gj * gj;
            state[sOff + j] = acc;
            w[wOff + j] -= (float) (learningRate * gj / (Math.sqrt(acc) + epsilon));
        }
    }

    @Override
    public String toString() {
        return "RmsProp(learningRate=" + learningRate + ", rho=" + rho + ", epsilon=" + epsilon
                + ", iterations=" + iterations + ")";
    }
}
