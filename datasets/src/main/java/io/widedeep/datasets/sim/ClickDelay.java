package io.widedeep.datasets.sim;

import java.util.Random;

/**
 * How long after its impression a click arrives: log-normal with the given median and log-scale
 * spread, capped at {@code maxMs}. Real click and conversion delays look like this: most come within
 * seconds, a long tail much later (Chapelle, "Modeling Delayed Feedback in Display Advertising",
 * KDD 2014), so any attribution window misses some of them.
 */
public record ClickDelay(double medianMs, double sigma, long maxMs) {
    /** The longest delay a built-in distribution draws: a day. */
    static final long DAY_MS = 86_400_000L;

    /** Most clicks within seconds, about 5 % after 10 s and 0.3 % after 30 s. */
    public static final ClickDelay REALISTIC = new ClickDelay(2_000, 1.0, DAY_MS);

    public ClickDelay {
        if (!(medianMs > 0) || !(sigma >= 0) || maxMs <= 0) {
            throw new IllegalArgumentException("click delay needs median > 0, sigma >= 0, max > 0: " + this);
        }
    }

    /** A delay with spread {@code sigma} of which {@code lateShare} falls after {@code windowMs}. */
    public static ClickDelay withLateShare(double lateShare, long windowMs, double sigma) {
        if (!(lateShare > 0 && lateShare < 1) || !(sigma > 0)) {
            throw new IllegalArgumentException("late share must be in (0, 1) and sigma > 0");
        }
        // P(delay > w) = P(Z > ln(w / median) / sigma) = lateShare
        double z = upperQuantile(lateShare);
        return new ClickDelay(windowMs / Math.exp(z * sigma), sigma, DAY_MS);
    }

    public long sample(Random rnd) {
        return Math.min(maxMs, Math.round(medianMs * Math.exp(sigma * rnd.nextGaussian())));
    }

    /** The share of delays longer than {@code ms} (ignoring the cap). */
    public double shareAfter(long ms) {
        return sigma == 0 ? (medianMs > ms ? 1 : 0) : upperTail(Math.log(ms / medianMs) / sigma);
    }

    /** P(Z > z) for a standard normal Z (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
    static double upperTail(double z) {
        double x = Math.abs(z) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
                * Math.exp(-x * x);
        return z >= 0 ? erfc / 2 : 1 - erfc / 2;
    }

    /** The z with P(Z > z) = p, by bisection on {@link #upperTail}. */
    static double upperQuantile(double p) {
        double lo = -10, hi = 10;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (upperTail(mid) > p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}
