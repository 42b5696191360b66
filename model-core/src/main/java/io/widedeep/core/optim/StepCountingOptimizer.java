package io.widedeep.core.optim;

/**
 * What the dense-and-sparse optimisers share: the count of dense steps taken, which Adam's bias
 * correction needs and which snapshots save and restore ({@link #iterations}, {@link #setIterations}).
 */
abstract class StepCountingOptimizer implements DenseOptimizer, SparseRowOptimizer {
    protected long iterations;

    @Override
    public long iterations() {
        return iterations;
    }

    @Override
    public void setIterations(long iterations) {
        this.iterations = iterations;
    }
}
