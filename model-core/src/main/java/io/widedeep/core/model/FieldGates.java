package io.widedeep.core.model;

import java.util.Arrays;

/**
 * One learned weight per wide group (each wide field, each cross) that scales the group's summed
 * wide weights: {@code wide(x) = sum_g a_g * sum_{k in g} w_k}, trained on the same logistic loss
 * by AdaGrad (Duchi et al. 2011), clamped to [0, {@link #MAX}]. The field-level weights of
 * field-weighted factorisation machines (Pan et al., "Field-weighted Factorization Machines for
 * Click-Through Rate Prediction in Display Advertising", WWW 2018), applied to the linear part.
 *
 * <p>Why it helps a streaming learner: every example is scored before it is trained on, so a gate's
 * gradient {@code g * s_g} measures whether the group's weights, learned on earlier examples,
 * generalise to this one. A group whose weights only fit noise (a field or cross that carries
 * nothing) is turned down, which FTRL's per-coordinate regularisation cannot do: each of its
 * coordinates looks alone, and on its own every noise coordinate has some evidence. A group that
 * carries signal may be turned above 1, undoing the shrinkage of its coordinates' regularisation.
 *
 * <p>The gates stay at 1 for the model's first {@code wide.gate_warmup} examples: the deep part must
 * leave its small initial weights while the wide part learns at its usual pace. Measured on the
 * planted-interaction stream: gates learning from the first example slowed the wide part's early fit
 * and the deep part collapsed to a constant (PV log loss 0.501, the wide part's alone; the same
 * happens without gates when FTRL's alpha is cut to a third); after a 20,000-example warm-up, 0.394
 * (plain Wide &amp; Deep 0.406).
 */
final class FieldGates {
    /** Upper clamp: a gate far above 1 would only amplify its coordinates' noise. */
    static final float MAX = 4f;

    final float[] gate;
    final double[] accumulator;
    private final double[] grad;
    private final double[] gradSq;
    private final double learningRate;

    FieldGates(int groups, double learningRate) {
        this.gate = new float[groups];
        this.accumulator = new double[groups];
        this.grad = new double[groups];
        this.gradSq = new double[groups];
        this.learningRate = learningRate;
        Arrays.fill(gate, 1f);
    }

    int size() {
        return gate.length;
    }

    /** Adds one example's gradient for a gate: the logit's gradient times the group's sum. */
    void addGrad(int g, double gradient) {
        grad[g] += gradient;
        gradSq[g] += gradient * gradient;
    }

    /** The gradient accumulated since the last {@link #step} (gradient checks). */
    double grad(int g) {
        return grad[g];
    }

    /** AdaGrad on the batch's summed gradient, with the per-example squares in the accumulator (as the wide part's FTRL). */
    void step() {
        for (int g = 0; g < gate.length; g++) {
            if (gradSq[g] > 0) {
                accumulator[g] += gradSq[g];
                float next = (float) (gate[g] - learningRate * grad[g] / Math.sqrt(accumulator[g]));
                gate[g] = Math.max(0f, Math.min(MAX, next));
            }
            grad[g] = 0;
            gradSq[g] = 0;
        }
    }

    /** A step once a model has trained {@code warmup} examples; before that the gradient is dropped and the gates stay. */
    void stepAfterWarmup(long trainedExamples, long warmup) {
        if (trainedExamples >= warmup) step(); else discard();
    }

    /** Drops the accumulated gradient without a step (during the warm-up). */
    private void discard() {
        Arrays.fill(grad, 0);
        Arrays.fill(gradSq, 0);
    }

    @Override
    public String toString() {
        return "FieldGates(learningRate=" + learningRate + ", gates=" + Arrays.toString(gate) + ")";
    }
}
