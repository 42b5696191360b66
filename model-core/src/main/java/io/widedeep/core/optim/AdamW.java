package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019): Adam whose
 * weight decay shrinks the weights directly instead of entering the gradient, so it is not rescaled
 * by Adam's per-parameter step sizes:
 * <pre>  w -= lr * weightDecay * w;  then Adam's step on g</pre>
 * (the decay uses the same learning rate, as in PyTorch's AdamW). Embedding rows decay only when a
 * batch touches them, with Adam's lazy row update.
 */
public final class AdamW extends StepCountingOptimizer {
    private final double learningRate;
    private final double weightDecay;
    private final Adam adam;

    public AdamW(double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        this.adam = new Adam(learningRate, beta1, beta2, epsilon);
    }

    @Override
    public void initialise(INDArray params) {
        adam.initialise(params);
        iterations = 0;
    }

    @Override
    public void step(INDArray params, INDArray grads) {
        params.muli(1 - learningRate * weightDecay);
        adam.step(params, grads);
        iterations = adam.iterations();
    }

    @Override
    public void setIterations(long iterations) {
        super.setIterations(iterations);
        adam.setIterations(iterations);
    }

    @Override
    public void reset() {
        adam.reset();
        iterations = 0;
    }

    @Override
    public AdamW copy() {
        return new AdamW(learningRate, adam.beta1(), adam.beta2(), adam.epsilon(), weightDecay);
    }

    @Override
    public INDArray[] state() {
        return adam.state();
    }

    @Override
    public int stateWidth() {
        return adam.stateWidth();
    }

    @Override
    public float initialState(int k) {
        return adam.initialState(k);
    }

    @Override
    public void stepRow(float[] w, int wOff, float[] state, int sOff, float[] g, int gOff, int dim, long t) {
        float keep = (float) (1 - learningRate * weightDecay);
        for (int j = 0; j < dim; j++) w[wOff + j] *= keep;
        adam.stepRow(w, wOff, state, sOff, g, gOff, dim, t);
    }

    @Override
    public String toString() {
        return "AdamW(learningRate=" + learningRate + ", weightDecay=" + weightDecay + ", beta1=" + adam.beta1()
                + ", beta2=" + adam.beta2() + ", epsilon=" + adam.epsilon() + ", iterations=" + iterations + ")";
    }
}
