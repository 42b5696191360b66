package io.widedeep.serving.http;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.widedeep.core.metrics.FreshnessBreakdown;
import io.widedeep.core.metrics.LatencyHistogram;
import io.widedeep.serving.features.FeaturesFeed;
import io.widedeep.serving.kafka.SupervisedFeed;
import io.widedeep.serving.registry.ModelRegistry;
import io.widedeep.serving.registry.UpdateFeed;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.function.Consumer;

/**
 * The server's Prometheus metrics, through the Prometheus Java client: request latency, responses by
 * status, the served model (version, epoch, age, event lag, progressive-validation quality), updates
 * applied and refused, each feed's state, the live context's size, and the JVM's memory, GC, thread and
 * class-loading metrics. Each server has its own registry (tests start several in one JVM).
 *
 * <p>The request path touches only pre-resolved data points: no label lookup, no allocation.
 */
public final class ServingMetrics {
    /** Latency buckets in seconds: fine below 10 ms, where the serving targets are. */
    private static final double[] LATENCY_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 0.5, 1};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final DistributionDataPoint recommendLatency;
    private final DistributionDataPoint scoreLatency;
    private final Counter responses;
    private final CounterDataPoint[] byStatus = new CounterDataPoint[600];

    public ServingMetrics(ModelRegistry models, FeaturesFeed features, List<SupervisedFeed> feeds, UpdateFeed updates) {
        Histogram latency = Histogram.builder().name("widedeep_request_seconds")
                .help("Time from request arrival to response, by endpoint (body read included)")
                .unit(Unit.SECONDS)
                .labelNames("endpoint").classicOnly().classicUpperBounds(LATENCY_BUCKETS).withoutExemplars()
                .register(registry);
        recommendLatency = latency.labelValues("recommend");
        scoreLatency = latency.labelValues("score");
        DistributionDataPoint apply = Histogram.builder().name("widedeep_update_apply_seconds")
                .help("Time to apply one model update to both copies of the served model")
                .unit(Unit.SECONDS).classicOnly().classicUpperBounds(LATENCY_BUCKETS).withoutExemplars().register(registry);
        models.timeAppliesWith(nanos -> apply.observe(nanos / 1e9));
        responses = Counter.builder().name("widedeep_responses").help("HTTP responses by status code")
                .labelNames("status").withoutExemplars().register(registry);

        gauge("widedeep_model_ready", "1 when a model is loaded and recommendations can be served",
                cb -> cb.call(models.peek() == null ? 0 : 1));
        gauge("widedeep_model_version", "Version of the served model within its epoch",
                cb -> ifLoaded(models, l -> cb.call(l.version())));
        gauge("widedeep_model_epoch", "Epoch of the served model (a new epoch starts from a full snapshot)",
                cb -> ifLoaded(models, l -> cb.call(l.epoch())));
        gauge("widedeep_model_staleness_seconds", "Age of the served model's newest update",
                cb -> ifLoaded(models, l -> cb.call((System.currentTimeMillis() - l.createdAt()) / 1000.0)));
        gauge("widedeep_model_event_lag_seconds", "Age of the newest event the served model has trained on",
                cb -> ifLoaded(models, l -> cb.call((System.currentTimeMillis() - l.maxEventTime()) / 1000.0)));
        gauge("widedeep_model_trained_examples", "Examples the served model has trained on",
                cb -> ifLoaded(models, l -> cb.call(l.model().trainedExamples())));
        gauge("widedeep_model_counter_weight", "Weight of the running click counter in the served model's predictions "
                + "(the counter mixture; near 0 once the model knows more than the counter)",
                cb -> ifLoaded(models, l -> cb.call(l.model().counterWeight())));
        gauge("widedeep_model_late_clicks", "Clicks that came after their impression was trained as a negative, "
                        + "trained as corrections by the served model", cb -> ifLoaded(models, l -> cb.call(l.validation().lateClicks())));
        gauge("widedeep_pv_logloss", "Progressive-validation log loss of the served model's recent window",
                cb -> ifLoaded(models, l -> cb.call(l.validation().windowLogLoss())));
        gauge("widedeep_pv_auc", "Progressive-validation AUC of the served model's recent window",
                cb -> ifLoaded(models, l -> cb.call(l.validation().windowAuc())));
        counter("widedeep_updates_applied", "Model updates applied", cb -> cb.call(models.appliedUpdates()));
        counter("widedeep_updates_refused", "Model updates refused (out of order, wrong spec, corrupt)",
                cb -> cb.call(models.refusedUpdates() + updates.corruptMessages()));
        counter("widedeep_update_partials_dropped", "Updates abandoned half-way: a chunk was missing or out of order",
                cb -> cb.call(updates.droppedPartials()));
        gauge("widedeep_feed_up", "1 while the feed is in contact with Kafka", cb -> {
            for (SupervisedFeed f : feeds) cb.call(f.status().up() ? 1 : 0, f.name());
        }, "feed");
        counter("widedeep_feed_restarts", "Times the feed's consumer was closed and reopened", cb -> {
            for (SupervisedFeed f : feeds) cb.call(f.restarts(), f.name());
        }, "feed");
        gauge("widedeep_feed_lag_records", "Records between the feed's position and the end of its topic", cb -> {
            for (SupervisedFeed f : feeds) cb.call(f.status().lag(), f.name());
        }, "feed");
        gauge("widedeep_features_loaded", "1 once the serving-features topic has been read up to where it ended at start",
                cb -> cb.call(features.loaded() ? 1 : 0));
        gauge("widedeep_features_age_seconds", "Time since the training job wrote the newest serving-features record read",
                cb -> cb.call(features.newestWrittenAt() == 0 ? Double.NaN : (System.currentTimeMillis() - features.newestWrittenAt()) / 1000.0));
        gauge("widedeep_feature_users", "Users in the history store", cb -> cb.call(features.users().users()));
        gauge("widedeep_feature_store_memory_bytes", "Memory of the history store: block cache in use, memtables, table readers",
                cb -> cb.call(features.users().memoryBytes()));
        gauge("widedeep_feature_items", "Items with attributes and popularity", cb -> cb.call(features.items().items()));
        counter("widedeep_feature_records_ignored", "User records not stored: older than the one held (a job's replay) or expired",
                cb -> cb.call(features.users().ignored()));
        counter("widedeep_feature_records_undecodable", "Serving-features records this server could not decode",
                cb -> cb.call(features.undecodable()));
        counter("widedeep_feature_spec_mismatches", "Lookups that found a history written for another spec than the served model's",
                cb -> cb.call(features.users().specMismatches()));
        registry.register(() -> freshnessSnapshot(updates.freshness().snapshot()));
        counter("widedeep_freshness_unreadable", "Updates whose freshness breakdown could not be read",
                cb -> cb.call(updates.freshness().unreadable()));
        JvmMetrics.builder().register(registry);
    }

    /** Freshness buckets in seconds: fine around the quarter-second target. */
    private static final double[] FRESHNESS_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3,
            0.4, 0.5, 0.75, 1, 2, 5, 10, 30, 60, Double.POSITIVE_INFINITY};

    /**
     * {@code widedeep_freshness_seconds{stage}}: per stage, every served example's delay, from the
     * breakdowns the updates carry. A bucket counts what is certainly at most its bound (values are
     * known to 1/16), so the figures err towards stale.
     */
    private static HistogramSnapshot freshnessSnapshot(FreshnessBreakdown f) {
        HistogramSnapshot.Builder b = HistogramSnapshot.builder().name("widedeep_freshness_seconds")
                .help("Delay of each served example, by stage: from its event's Kafka timestamp through the job "
                        + "(source, validate, join, batch_wait, train, publish_wait) and to this server (kafka, apply); "
                        + "event_to_update and event_to_applied are the totals").unit(Unit.SECONDS);
        for (FreshnessBreakdown.Stage stage : FreshnessBreakdown.Stage.values()) {
            LatencyHistogram h = f.stage(stage);
            long[] counts = new long[FRESHNESS_BUCKETS.length];
            long below = 0;
            for (int i = 0; i < counts.length; i++) {
                long atMost = i == counts.length - 1 ? h.count() : h.countAtMost(Math.round(FRESHNESS_BUCKETS[i] * 1000));
                counts[i] = atMost - below;
                below = atMost;
            }
            b.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(FRESHNESS_BUCKETS, counts))
                    .sum(h.sum() / 1000.0).labels(Labels.of("stage", stage.label)).build());
        }
        return b.build();
    }

    private void gauge(String name, String help, Consumer<GaugeWithCallback.Callback> cb, String... labels) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels).callback(cb).register(registry);
    }

    private void counter(String name, String help, Consumer<CounterWithCallback.Callback> cb, String... labels) {
        CounterWithCallback.builder().name(name).help(help).labelNames(labels).callback(cb).register(registry);
    }

    private interface WithModel {
        void accept(ModelRegistry.Live l);
    }

    private static void ifLoaded(ModelRegistry models, WithModel then) {
        ModelRegistry.Live l = models.peek();
        if (l != null) then.accept(l);
    }

    public void recommendTook(long nanos) {
        recommendLatency.observe(nanos / 1e9);
    }

    public void scoreTook(long nanos) {
        scoreLatency.observe(nanos / 1e9);
    }

    public void responded(int status) {
        CounterDataPoint p = status >= 0 && status < byStatus.length ? byStatus[status] : null;
        if (p == null) {
            p = responses.labelValues(Integer.toString(status));
            if (status >= 0 && status < byStatus.length) byStatus[status] = p;
        }
        p.inc();
    }

    public String contentType() {
        return writer.getContentType();
    }

    public void writeTo(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }
}
