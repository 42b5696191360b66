package io.widedeep.core.model;

/**
 * Makes the model's predictions a Bayesian mixture of two experts, the running click counter and the
 * model itself: {@code p = w p_counter + (1 - w) p_model}, where w is the counter's posterior weight
 * after every example scored so far (the aggregating algorithm for log loss: Vovk, "A game of
 * prediction with expert advice", 1998; Cesa-Bianchi and Lugosi, "Prediction, Learning, and Games",
 * ch. 3). Its cumulative log loss is at most
 * {@code min(L_counter + ln(1 / prior), L_model + ln(1 / (1 - prior)))}: with the default prior 0.99 a
 * model never loses more than 0.01 nats in total to the counter, and pays at most 4.6 nats in total
 * to follow the model once its features know more than the counter does.
 *
 * <p>The counter expert is counted per example (the intercept's {@link BaseRate} moves per batch);
 * the model trains on its own loss, not the mixture's. Its state (the two counts and the log-odds
 * of the weights) ships with every snapshot and delta, so servers score with the same mixture.
 * The log-odds are kept within ±{@value #MAX_LOG_ODDS} so that either expert can win back the weight
 * after the stream changes. Prior 0: no mixture, the model alone.
 */
final class CounterMixture {
    static final double MAX_LOG_ODDS = 20;
    final BaseRate counter;
    private final double prior;
    double logOdds; // ln(w_counter / w_model)

    CounterMixture(double priorCtr, double priorWeight, double halfLife, double prior) {
        this.counter = new BaseRate(priorCtr, priorWeight, halfLife);
        this.prior = prior;
        reset();
    }

    boolean enabled() {
        return prior > 0;
    }

    /** Back to the prior weights (the counts stay). */
    void reset() {
        logOdds = prior > 0 ? Math.log(prior / (1 - prior)) : Double.NEGATIVE_INFINITY;
    }

    double counterWeight() {
        return 1 / (1 + Math.exp(-logOdds));
    }

    /** The mixture's click probability for the model's {@code pModel}. */
    float mix(float pModel) {
        if (prior == 0) return pModel;
        double w = counterWeight();
        return (float) (w * counter.ctr() + (1 - w) * pModel);
    }

    /** After scoring an example: moves the weights by the two experts' log losses, then counts it. */
    void observe(float pModel, float label) {
        if (prior > 0) {
            double pc = counter.ctr();
            logOdds += logLoss(pModel, label) - logLoss(pc, label);
            logOdds = Math.max(-MAX_LOG_ODDS, Math.min(MAX_LOG_ODDS, logOdds));
        }
        counter.add(label);
    }

    private static double logLoss(double p, float label) {
        double q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
        return label >= 0.5f ? -Math.log(q) : -Math.log(1 - q);
    }

    @Override
    public String toString() {
        return "CounterMixture(counter weight=" + counterWeight() + ", " + counter + ")";
    }
}
