package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the optimisers with one squared-gradient accumulator per parameter share (AdaGrad, RMSprop):
 * the step {@code w -= lr * g / (sqrt(G) + eps)} on an accumulator that moves as
 * {@code G = decay G + gain g^2} (AdaGrad: 1 and 1, it only grows; RMSprop: rho and 1 - rho, it
 * leaks), its start value, and how it is saved ({@link #state}) and forgotten ({@link #reset}).
 * The sparse row step is written once, here; each subclass keeps its own dense step.
 */
abstract class AccumulatorOptimizer extends StepCountingOptimizer {
    protected final double learningRate;
    protected final double initialAccumulator;
    protected final double epsilon;
    private final float decay;
    private final float gain;
    protected INDArray accumulator;

    AccumulatorOptimizer(double learningRate, double initialAccumulator, double epsilon, double decay, double gain) {
        this.learningRate = learningRate;
        this.initialAccumulator = initialAccumulator;
        this.epsilon = epsilon;
        this.decay = (float) decay;
        this.gain = (float) gain;
    }

    @Override
    public void initialise(INDArray params) {
        accumulator = Nd4j.valueArrayOf(params.shape(), initialAccumulator, params.dataType());
        iterations = 0;
    }

    @Override
    public void reset() {
        if (accumulator != null) {
            accumulator.assign(initialAccumulator);
        }
        iterations = 0;
    }

    @Override
    public void stepRow(float[] w, int wOff, float[] state, int sOff, float[] g, int gOff, int dim, long t) {
        float lr = (float) learningRate;
        float eps = (float) epsilon;
        for (int j = 0; j < dim; j++) {
            float gj = g[gOff + j];
            float acc = decay * state[sOff + j] + gain * gj * gj;
            state[sOff + j] = acc;
            w[wOff + j] -= lr * gj / ((float) Math.sqrt(acc) + eps);
        }
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
        return (float) initialAccumulator;
    }
}
