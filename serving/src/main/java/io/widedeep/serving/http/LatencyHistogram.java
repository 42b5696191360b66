package io.widedeep.serving.http;

import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram of request latency with fixed buckets, lock-free on the request path. */
public final class LatencyHistogram {
    static final double[] BUCKETS_SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

    private final LongAdder[] counts = new LongAdder[BUCKETS_SECONDS.length + 1];
    private final LongAdder sumNanos = new LongAdder();

    public LatencyHistogram() {
        for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
    }

    public void record(long nanos) {
        double s = nanos / 1e9;
        int i = 0;
        while (i < BUCKETS_SECONDS.length && s > BUCKETS_SECONDS[i]) i++;
        counts[i].increment();
        sumNanos.add(nanos);
    }

    public void writeTo(StringBuilder out, String name, String labels) {
        long cumulative = 0;
        for (int i = 0; i < BUCKETS_SECONDS.length; i++) {
            cumulative += counts[i].sum();
            out.append(name).append("_bucket{").append(labels).append(labels.isEmpty() ? "" : ",")
                    .append("le=\"").append(BUCKETS_SECONDS[i]).append("\"} ").append(cumulative).append('\n');
        }
        cumulative += counts[BUCKETS_SECONDS.length].sum();
        out.append(name).append("_bucket{").append(labels).append(labels.isEmpty() ? "" : ",")
                .append("le=\"+Inf\"} ").append(cumulative).append('\n');
        out.append(name).append("_sum{").append(labels).append("} ").append(sumNanos.sum() / 1e9).append('\n');
        out.append(name).append("_count{").append(labels).append("} ").append(cumulative).append('\n');
    }
}
