package io.widedeep.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015), offered as an
 * alternative to AdaGrad for the deep part:
 * <pre>  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *  w -= lr * sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps)</pre>
 * For embedding rows the update is lazy: only touched rows move, with the global step t.
 */
public final class Adam extends StepCountingOptimizer {
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private INDArray m;
    private INDArray v;

    public Adam(double learningRate, double beta1, double beta2, double epsilon) {
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    @Override
    public void initialise(INDArray params) {
        m = Nd4j.zeros(params.dataType(), params.shape());
        v = Nd4j.zeros(params.dataType(), params.shape());
        iterations = 0;
    }

    @Override
    public void step(INDArray params, INDArray grads) {
        // The native op takes the 0-based iteration and applies the bias correction of step t+1.
        Nd4j.exec(new AdamUpdater(grads, v, m, learningRate, beta1, beta2,
                epsilon, (int) iterations));
        params.subi(grads);
        iterations++;
    }

    @Override
    public void reset() {
        if (m != null) {
            m.assign(0);
            v.assign(0);
        }
        iterations = 0;
    }

    @Override
    public Adam copy() {
        return new Adam(learningRate, beta1, beta2, epsilon);
    }

    @Override
    public INDArray[] state() {
        return new INDArray[] {m, v};
    }

    @Override
    public int stateWidth() {
        return 2;
    }

    @Override
    public float initialState(int k) {
        return 0f;
    }

    @Override
    public void stepRow(float[] w, int wOff, float[] state, int sOff, float[] g, int gOff, int dim, long t) {
        double alpha = learningRate * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        for (int j = 0; j < dim; j++) {
            float gj = g[gOff + j];
            int mi = sOff + 2 * j;
            float mj = b1 * state[mi] + (1 - b1) * gj;
            float vj = b2 * state[mi + 1] + (1 - b2) * gj * gj;
            state[mi] = mj;
            state[mi + 1] = vj;
            w[wOff + j] -= (float) (alpha * mj / (Math.sqrt(vj) + epsilon));
        }
    }

    double beta1() { return beta1; }
    double beta2() { return beta2; }
    double epsilon() { return epsilon; }

    @Override
    public String toString() {
        return "Adam(learningRate=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon=" + epsilon
                + ", iterations=" + iterations + ")";
    }
}
