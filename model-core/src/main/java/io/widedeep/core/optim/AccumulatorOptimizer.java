package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the optimisers with one squared-gradient accumulator per parameter share (AdaGrad, RMSprop):
 * the accumulator, its start value, and how it is saved ({@link #state}) and forgotten ({@link #reset}).
 */
abstract class AccumulatorOptimizer extends StepCountingOptimizer {
    protected final double initialAccumulator;
    protected INDArray accumulator;

    AccumulatorOptimizer(double initialAccumulator) {
        this.initialAccumulator = initialAccumulator;
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
