package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;

/**
 * The model's one loss: logistic, computed stably.
 *
 * <p><b>Late clicks.</b> A row marked {@link ExampleBatch#isLateClick} is the click of an impression
 * that was trained earlier as a negative (its click came after the attribution window). It is trained
 * with the positive's loss minus the negative's, {@code logLoss(z, 1) - logLoss(z, 0) = -z}: the
 * PU loss of Ktena et al., "Addressing Delayed Feedback for Continuous Training with Neural Networks
 * in CTR Prediction", RecSys 2019. Its gradient is -1 for any logit, so together with the earlier
 * negative's gradient {@code p} the impression has, in expectation, been trained once as the
 * positive it is ({@code p - 1}); the intercept's counter counts the click without a second example.
 */
final class LogisticLoss {
    private LogisticLoss() {}

    static float sigmoid(double z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    /** A row's loss: its log loss, or for a late click the correction of its earlier negative (-z). */
    static double rowLoss(double z, ExampleBatch batch, int r) {
        return batch.isLateClick(r) ? -z : logLoss(z, batch.label(r));
    }

    /** Log loss of logit z for label y, computed stably. */
    static double logLoss(double z, double y) {
        return Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y * z;
    }
}
