package io.widedeep.core.metrics;

import java.nio.ByteBuffer;

/**
 * Decides whether a candidate model may replace the published one, by comparing both on the
 * <em>same</em> recent examples: each shadow-scored example contributes the candidate's
 * progressive-validation loss and the published model's loss on it, both scored before the
 * candidate trained on it. A shift in the data moves both sides alike, so the gate cannot freeze on
 * a reference taken from other data.
 *
 * <p>Call order: {@link #add} for every shadow-scored example, {@link #decide} when an update is
 * due, {@link #published} after an update went out. The paired window and the hold time are the
 * whole state ({@link #toBytes}/{@link #restore}), so a restored job judges as before.
 *
 * <ul>
 *   <li>Fewer than {@code window} paired examples: no evidence, publish.</li>
 *   <li>Candidate loss above published loss × (1 + margin): hold back.</li>
 *   <li>Held back for {@code maxHoldMs} or longer: {@link Decision#OVERRIDE}; the caller reports it
 *   and publishes or keeps holding, as configured.</li>
 * </ul>
 */
public final class QualityGate {
    public enum Decision { PUBLISH, HOLD, OVERRIDE }

    private final double margin;
    private final long maxHoldMs;
    private final float[] candidate;
    private final float[] published;
    private int pos;
    private int fill;
    private double candidateSum;
    private double publishedSum;
    private long heldSince = -1;

    public QualityGate(int window, double margin, long maxHoldMs) {
        if (window < 1) throw new IllegalArgumentException("window must be positive");
        this.margin = margin;
        this.maxHoldMs = maxHoldMs;
        this.candidate = new float[window];
        this.published = new float[window];
    }

    /** One example scored by both models before the candidate learned from it. */
    public void add(float pCandidate, float pPublished, float label) {
        push((float) ProgressiveValidation.logLoss(pCandidate, label), (float) ProgressiveValidation.logLoss(pPublished, label));
    }

    private void push(float lc, float lp) {
        if (fill == candidate.length) {
            candidateSum -= candidate[pos];
            publishedSum -= published[pos];
        } else {
            fill++;
        }
        candidate[pos] = lc;
        published[pos] = lp;
        candidateSum += lc;
        publishedSum += lp;
        pos = (pos + 1) % candidate.length;
    }

    public Decision decide(long now) {
        if (fill < candidate.length || candidateLoss() <= publishedLoss() * (1 + margin)) {
            heldSince = -1;
            return Decision.PUBLISH;
        }
        if (heldSince < 0) heldSince = now;
        return now - heldSince >= maxHoldMs ? Decision.OVERRIDE : Decision.HOLD;
    }

    /** An update went out: the hold, if any, is over. */
    public void published() {
        heldSince = -1;
    }

    /** How long updates have been held back at {@code now}, 0 when they are not. */
    public long holdingMs(long now) {
        return heldSince < 0 ? 0 : now - heldSince;
    }

    public int count() { return fill; }
    public double candidateLoss() { return fill == 0 ? Double.NaN : candidateSum / fill; }
    public double publishedLoss() { return fill == 0 ? Double.NaN : publishedSum / fill; }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(16 + 8 * fill);
        b.putInt(candidate.length).putInt(fill).putLong(heldSince);
        for (int i = 0; i < fill; i++) {
            int at = Math.floorMod(pos - fill + i, candidate.length); // oldest first
            b.putFloat(candidate[at]).putFloat(published[at]);
        }
        return b.array();
    }

    /** Restores a window written by {@link #toBytes}; with a different window size the newest examples are kept. */
    public void restore(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.getInt();
        int n = b.getInt();
        long held = b.getLong();
        fill = 0;
        pos = 0;
        candidateSum = 0;
        publishedSum = 0;
        for (int i = 0; i < n; i++) {
            push(b.getFloat(), b.getFloat());
        }
        heldSince = held;
    }

    @Override
    public String toString() {
        return String.format("QualityGate[window=%d, margin=%.3f, maxHoldMs=%d, paired=%d, candidate=%.5f, published=%.5f]",
                candidate.length, margin, maxHoldMs, fill, candidateLoss(), publishedLoss());
    }
}
