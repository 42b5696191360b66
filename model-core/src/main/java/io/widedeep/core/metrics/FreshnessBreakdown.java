package io.widedeep.core.metrics;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Where the time goes between an event reaching Kafka and a served model that learned from it: one
 * {@link LatencyHistogram} per stage, every trained example counted once in each. The job fills the
 * stages up to the update ({@link Stage#jobStage}) and sends them with the update that contains
 * those examples; a server adds the update's transit and its own apply time, and with them each
 * example's whole delay ({@link #addServed}).
 *
 * <p>An example's clock starts at the Kafka timestamp of the event that labelled it (a click, or a
 * labelled impression); for a negative labelled by its attribution window closing, when the window
 * closed. Times are wall-clock milliseconds of the machines involved.
 */
public final class FreshnessBreakdown {
    /** The stages, in the order an example passes them, then the totals. */
    public enum Stage {
        SOURCE("source", "event's Kafka timestamp to the job's source reading it", true),
        VALIDATE("validate", "read to decoded and validated", true),
        JOIN("join", "validated to labelled by the joiner", true),
        BATCH_WAIT("batch_wait", "labelled to its training step cut", true),
        TRAIN("train", "step cut to trained (the trainer's queue and the step)", true),
        PUBLISH_WAIT("publish_wait", "trained to the update containing it cut", true),
        KAFKA("kafka", "update cut to read by the server", false),
        APPLY("apply", "read by the server to served", false),
        EVENT_TO_UPDATE("event_to_update", "event's Kafka timestamp to the update containing it cut", true),
        EVENT_TO_APPLIED("event_to_applied", "event's Kafka timestamp to served", false);

        public final String label;
        public final String doc;
        public final boolean jobStage;

        Stage(String label, String doc, boolean jobStage) {
            this.label = label;
            this.doc = doc;
            this.jobStage = jobStage;
        }
    }

    private static final byte FORMAT = 1;
    private static final Stage[] STAGES = Stage.values();

    private final LatencyHistogram[] stages = new LatencyHistogram[STAGES.length];

    public FreshnessBreakdown() {
        for (int i = 0; i < stages.length; i++) stages[i] = new LatencyHistogram();
    }

    public LatencyHistogram stage(Stage s) {
        return stages[s.ordinal()];
    }

    public void add(FreshnessBreakdown other) {
        for (int i = 0; i < stages.length; i++) stages[i].add(other.stages[i]);
    }

    public void clear() {
        for (LatencyHistogram h : stages) h.clear();
    }

    /** Examples counted: every example passes every stage once. */
    public long examples() {
        return stage(Stage.EVENT_TO_UPDATE).count();
    }

    /**
     * Adds an update's examples as served: the job's stages as the update carried them, then the
     * update's transit ({@code createdAt} to {@code receivedAt}) and apply time, shared by all of
     * them, and each example's whole delay.
     */
    public void addServed(FreshnessBreakdown update, long createdAt, long receivedAt, long appliedAt) {
        for (Stage s : STAGES) {
            if (s.jobStage) stage(s).add(update.stage(s));
        }
        long n = update.examples();
        stage(Stage.KAFKA).record(receivedAt - createdAt, n);
        stage(Stage.APPLY).record(appliedAt - receivedAt, n);
        stage(Stage.EVENT_TO_APPLIED).addShifted(update.stage(Stage.EVENT_TO_UPDATE), appliedAt - createdAt);
    }

    /** The non-empty stages, for a model update's metadata; empty when there is nothing. */
    public byte[] encode() {
        int size = 2;
        int used = 0;
        for (LatencyHistogram h : stages) {
            if (h.count() > 0) {
                size += 1 + h.encodedSize();
                used++;
            }
        }
        if (used == 0) return new byte[0];
        ByteBuffer b = ByteBuffer.allocate(size).put(FORMAT).put((byte) used);
        for (int i = 0; i < stages.length; i++) {
            if (stages[i].count() > 0) {
                b.put((byte) i);
                stages[i].writeTo(b);
            }
        }
        return b.array();
    }

    /** Reads {@link #encode}'s bytes (empty: an empty breakdown, as from a writer that sends none). */
    public static FreshnessBreakdown decode(byte[] bytes) {
        FreshnessBreakdown f = new FreshnessBreakdown();
        if (bytes == null || bytes.length == 0) return f;
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte format = b.get();
            if (format != FORMAT) throw new IllegalArgumentException("freshness breakdown format " + format);
            int used = b.get();
            for (int i = 0; i < used; i++) {
                int s = b.get();
                if (s < 0 || s >= STAGES.length) throw new IllegalArgumentException("freshness stage " + s);
                f.stages[s].readFrom(b);
            }
            return f;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated freshness breakdown", e);
        }
    }

    /** One line per stage: examples, p50, p90, p99 and max in ms. */
    public String table() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-17s %10s %7s %7s %7s %7s%n",
                "stage", "examples", "p50", "p90", "p99", "max"));
        for (Stage s : STAGES) {
            LatencyHistogram h = stage(s);
            if (h.count() == 0) continue;
            out.append(String.format(Locale.ROOT, "%-17s %10d %7d %7d %7d %7d%n", s.label, h.count(),
                    h.quantile(0.5), h.quantile(0.9), h.quantile(0.99), h.max()));
        }
        return out.toString();
    }
}
