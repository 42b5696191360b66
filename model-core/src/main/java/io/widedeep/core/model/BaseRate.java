package io.widedeep.core.model;

/**
 * The stream's click-through rate as the posterior mean of a Beta prior updated by decayed counts:
 * {@code (clicks + priorCtr * priorWeight) / (examples + priorWeight)}, where every example's weight
 * halves after {@code halfLife} further examples. Its log-odds is the model's intercept; the learned
 * part of the bias and every feature only model what this counter cannot.
 *
 * <p>Why: a learner that starts at p = 0.5 and has to learn the base rate through a gradient loses
 * to the plain running-CTR counter for thousands of examples on a sparse stream (0.5 % CTR: a click
 * every 200 impressions), and every feature weight absorbs part of the base rate on the way. With the
 * counter as intercept the model predicts exactly the counter until its features have evidence.
 * The decay lets the intercept follow a drifting CTR over weeks.
 *
 * <p>Trained and read on the training thread only; serving sees its result folded into the bias.
 */
final class BaseRate {
    private final double priorCtr;
    private final double priorWeight;
    private final double decay;
    double clicks;
    double examples;

    BaseRate(double priorCtr, double priorWeight, double halfLife) {
        this.priorCtr = priorCtr;
        this.priorWeight = priorWeight;
        this.decay = halfLife > 0 ? Math.pow(0.5, 1.0 / halfLife) : 1.0;
    }

    /** Posterior mean CTR. */
    double ctr() {
        return (clicks + priorCtr * priorWeight) / (examples + priorWeight);
    }

    double logOdds() {
        double p = ctr();
        return Math.log(p / (1 - p));
    }

    void add(float label) {
        clicks = clicks * decay + label;
        examples = examples * decay + 1;
    }

    /** Takes another counter's counts (same prior and decay). */
    void copyFrom(BaseRate other) {
        clicks = other.clicks;
        examples = other.examples;
    }

    /**
     * The click of an example counted earlier as a non-click: one more click, no further example.
     * (The example's weight has decayed a little since; at half-lives of a million examples that
     * difference is far below the counter's noise.)
     */
    void addLateClick() {
        clicks = Math.min(clicks + 1, examples);
    }

    @Override
    public String toString() {
        return "BaseRate(ctr=" + ctr() + ", clicks=" + clicks + ", examples=" + examples + ")";
    }
}
