package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSprop (Tieleman and Hinton, COURSERA Neural Networks for Machine Learning, lecture 6.5, 2012):
 * AdaGrad with a leaky accumulator, so the step size does not decay forever on a long stream:
 * <pre>  G = rho G + (1-rho) g^2;  w -= lr * g / (sqrt(G) + eps)</pre>
 * with G starting at zero (as in PyTorch). Embedding rows update lazily: only touched rows move.
 */
public final class RmsProp extends StepCountingOptimizer {
    private final double learningRate;
    private final double rho;
    private final double epsilon;
    private INDArray accumulator;

    public RmsProp(double learningRate, double rho, double epsilon) {
        this.learningRate = learningRate;
        this.rho = rho;
        this.epsilon = epsilon;
    }

    @Override
    public void initialise(INDArray params) {
        accumulator = Nd4j.zeros(params.dataType(), params.shape());
        iterations = 0;
    }

    @Override
    public void step(INDArray params, INDArray grads) {
        accumulator.muli(rho).addi(grads.mul(grads).muli(1 - rho));
        INDArray denominator = Transforms.sqrt(accumulator, true).addi(epsilon);
        params.subi(grads.divi(denominator).muli(learningRate));
        iterations++;
    }

    @Override
    public void reset() {
        if (accumulator != null) accumulator.assign(0);
        iterations = 0;
    }

    @Override
    public RmsProp copy() {
        return new RmsProp(learningRate, rho, epsilon);
    }

    @Override
    public INDArray[] state() {
        return new INDArray[] {accumulator};
    }

    @Override
    public int stateWidth() {
        return 1;
    }

    @Override
    public float initialState(int k) {
        return 0f;
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
