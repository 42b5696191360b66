package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An optimizer over one flat, dense parameter vector (all MLP weights and biases), in the manner of
 * Tribuo's {@code StochasticGradientOptimiser}: {@link #initialise}, then {@link #step} per
 * mini-batch; {@link #reset} forgets the accumulated state; {@link #copy} gives a fresh instance with
 * the same settings. {@link #state()} exposes the accumulators so snapshots can save them.
 */
public interface DenseOptimizer {
    /** Allocates state for {@code params}' shape and type. */
    void initialise(INDArray params);

    /** Applies one update in place to {@code params}; {@code grads} is used as scratch. */
    void step(INDArray params, INDArray grads);

    void reset();

    DenseOptimizer copy();

    /** The accumulators, in a fixed order, same shape as the parameters. Live views: restore by assign. */
    INDArray[] state();

    /** Steps taken (Adam's bias correction needs it; saved with the state). */
    long iterations();

    void setIterations(long iterations);
}
