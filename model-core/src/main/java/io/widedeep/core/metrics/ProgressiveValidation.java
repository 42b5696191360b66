package io.widedeep.core.metrics;

import java.util.Arrays;

/**
 * Progressive-validation metrics (every example scored before it is trained on; Blum, Kalai and
 * Langford 1999; McMahan et al. 2013 section 5): log loss, AUC, normalised entropy (log loss divided
 * by the entropy of the empirical CTR, He et al. 2014) and calibration (mean prediction / CTR), over
 * the whole stream and over a trailing window of the last {@code window} examples.
 *
 * <p>The whole-stream AUC counts predictions in 2^16 buckets of the logit in [-16, 16] (ties within
 * a bucket count half), which is exact to the bucket width in memory that does not grow with the
 * stream; the window AUC is exact.
 */
public final class ProgressiveValidation {
    private static final int BUCKETS = 1 << 16;
    private static final double LOGIT_RANGE = 16.0;

    private long count;
    private long positives;
    private long lateClicks;
    private double lossSum;
    private double predictionSum;
    private final long[] posHist = new long[BUCKETS];
    private final long[] negHist = new long[BUCKETS];

    private final float[] windowP;
    private final byte[] windowY;
    private int windowPos;
    private int windowFill;
    private double windowLoss;
    private double windowPredictionSum;
    private long windowPositives;

    public ProgressiveValidation(int window) {
        this.windowP = new float[window];
        this.windowY = new byte[window];
    }

    /** Log loss of click probability {@code p} (clamped to [1e-7, 1 - 1e-7]) for a label (click: 1). */
    public static double logLoss(double p, float label) {
        double pc = clamp(p);
        return label >= 0.5f ? -Math.log(pc) : -Math.log(1 - pc);
    }

    private static double clamp(double p) {
        return Math.min(Math.max(p, 1e-7), 1 - 1e-7);
    }

    public void add(float p, float label) {
        boolean y = label >= 0.5f;
        double pc = clamp(p);
        double loss = logLoss(p, label);
        count++;
        lossSum += loss;
        predictionSum += p;
        if (y) {
            positives++;
            posHist[bucket(pc)]++;
        } else {
            negHist[bucket(pc)]++;
        }
        if (windowP.length > 0) {
            if (windowFill == windowP.length) {
                float op = windowP[windowPos];
                boolean oy = windowY[windowPos] == 1;
                windowLoss -= logLoss(op, windowY[windowPos]);
                windowPredictionSum -= op;
                if (oy) windowPositives--;
            } else {
                windowFill++;
            }
            windowP[windowPos] = p;
            windowY[windowPos] = (byte) (y ? 1 : 0);
            windowPos = (windowPos + 1) % windowP.length;
            windowLoss += loss;
            windowPredictionSum += p;
            if (y) windowPositives++;
        }
    }

    private static int bucket(double p) {
        double logit = Math.log(p / (1 - p));
        int b = (int) ((logit + LOGIT_RANGE) / (2 * LOGIT_RANGE) * BUCKETS);
        return Math.min(Math.max(b, 0), BUCKETS - 1);
    }

    /**
     * A click that came after its example was scored (and counted) as a non-click. The example's PV
     * loss stands as it was scored; the click is only counted, so that {@code positives + lateClicks}
     * are all the clicks the examples got.
     */
    public void addLateClick() {
        lateClicks++;
    }

    /**
     * Whole-stream totals, to be checkpointed with the model: count, positives, loss sum, prediction
     * sum, late clicks.
     */
    public double[] totals() {
        return new double[] {count, positives, lossSum, predictionSum, lateClicks};
    }

    /** Restores whole-stream totals (the AUC histogram and the window start empty). */
    public void restoreTotals(double[] t) {
        count = (long) t[0];
        positives = (long) t[1];
        lossSum = t[2];
        predictionSum = t[3];
        lateClicks = t.length > 4 ? (long) t[4] : 0;
    }

    public long count() { return count; }
    public long positives() { return positives; }
    public long lateClicks() { return lateClicks; }
    public double ctr() { return count == 0 ? Double.NaN : (double) positives / count; }
    public double logLoss() { return count == 0 ? Double.NaN : lossSum / count; }
    public double calibration() { return predictionSum / Math.max(positives, 1e-9); }
    public double normalizedEntropy() { return logLoss() / entropy(ctr()); }

    public double auc() {
        double area = 0;
        long negBelow = 0;
        long pos = 0, neg = 0;
        for (int b = 0; b < BUCKETS; b++) {
            area += posHist[b] * (negBelow + 0.5 * negHist[b]);
            negBelow += negHist[b];
            pos += posHist[b];
            neg += negHist[b];
        }
        return pos == 0 || neg == 0 ? Double.NaN : area / ((double) pos * neg);
    }

    public int windowCount() { return windowFill; }
    public double windowLogLoss() { return windowFill == 0 ? Double.NaN : windowLoss / windowFill; }
    public double windowCtr() { return windowFill == 0 ? Double.NaN : (double) windowPositives / windowFill; }
    public double windowCalibration() { return windowPredictionSum / Math.max(windowPositives, 1e-9); }

    /** Exact AUC of the trailing window (sorts the window: call it for reports, not per example). */
    public double windowAuc() {
        return exactAuc(windowP, windowY, windowFill);
    }

    /** Exact ROC AUC by rank (Mann-Whitney U) with ties counted half. */
    public static double exactAuc(float[] p, byte[] y, int n) {
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            // sortable float bits in the high word, label in the low bit
            int bits = Float.floatToIntBits(p[i]);
            bits ^= (bits >> 31) & 0x7fffffff;
            packed[i] = ((long) bits << 1) | y[i];
        }
        Arrays.sort(packed);
        double area = 0;
        long negBelow = 0, pos = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            long tiePos = 0, tieNeg = 0;
            while (j < n && (packed[j] >> 1) == (packed[i] >> 1)) {
                if ((packed[j] & 1) == 1) tiePos++; else tieNeg++;
                j++;
            }
            area += tiePos * (negBelow + 0.5 * tieNeg);
            negBelow += tieNeg;
            pos += tiePos;
            i = j;
        }
        long neg = n - pos;
        return pos == 0 || neg == 0 ? Double.NaN : area / ((double) pos * neg);
    }

    /**
     * Log loss over labels {@code [from, to)} of the running-CTR counter, the baseline every learner
     * must beat: example t is predicted as (clicks before t + 0.5) / (t + 1), counting from the start
     * of the stream (the same prior as the reference peers' baseline).
     */
    public static double runningCtrLogLoss(byte[] y, int from, int to) {
        long clicks = 0;
        double loss = 0;
        for (int t = 0; t < to; t++) {
            if (t >= from) {
                double q = (clicks + 0.5) / (t + 1.0);
                loss -= y[t] == 1 ? Math.log(q) : Math.log(1 - q);
            }
            clicks += y[t];
        }
        return to > from ? loss / (to - from) : Double.NaN;
    }

    /**
     * Entropy of a CTR: the log loss of always predicting it, i.e. the constant-CTR baseline that
     * normalised entropy divides by.
     */
    public static double entropy(double ctr) {
        if (ctr <= 0 || ctr >= 1) return Double.NaN;
        return -(ctr * Math.log(ctr) + (1 - ctr) * Math.log(1 - ctr));
    }
}
