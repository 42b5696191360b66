package io.widedeep.core.model;

import io.widedeep.core.metrics.ProgressiveValidation;

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
 * <p>The counter expert is the model's own intercept counter ({@link BaseRate}), read per example:
 * within a batch the model walks a copy of it row by row, so each row is mixed with the counter as
 * the rows before it left it. This class holds only the weights; the model trains on its own loss,
 * not the mixture's. The log-odds of the weights ship with every snapshot and delta, so servers
 * score with the same mixture. They are kept within ±{@value #MAX_LOG_ODDS} so that either expert can
 * win back the weight after the stream changes. Prior 0: no mixture, the model alone.
 */
final class CounterMixture {
    static final double MAX_LOG_ODDS = 20;
    private final double prior;
    double logOdds; // ln(w_counter / w_model)

    CounterMixture(double prior) {
        this.prior = prior;
        reset();
    }

    /** Back to the prior weights. */
    void reset() {
        logOdds = prior > 0 ? Math.log(prior / (1 - prior)) : Double.NEGATIVE_INFINITY;
    }

    double counterWeight() {
        return 1 / (1 + Math.exp(-logOdds));
    }

    /** The mixture's click probability for the model's {@code pModel} and the counter's {@code pCounter}. */
    float mix(float pModel, double pCounter) {
        if (prior == 0) return pModel;
        double w = counterWeight();
        return (float) (w * pCounter + (1 - w) * pModel);
    }

    /** After scoring an example: moves the weights by the two experts' log losses on its label. */
    void observe(float pModel, double pCounter, float label) {
        if (prior == 0) return;
        logOdds += ProgressiveValidation.logLoss(pModel, label) - ProgressiveValidation.logLoss(pCounter, label);
        logOdds = Math.max(-MAX_LOG_ODDS, Math.min(MAX_LOG_ODDS, logOdds));
    }

    @Override
    public String toString() {
        return "CounterMixture(counter weight=" + counterWeight() + ")";
    }
}
