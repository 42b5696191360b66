package io.widedeep.serving.http;

import io.widedeep.serving.features.FeaturesFeed;
import io.widedeep.serving.kafka.SupervisedFeed;
import io.widedeep.serving.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code /healthz} and {@code /readyz} answer. Ready: a model is loaded and the serving features
 * have been read up to where their topic ended at start, so recommendations are scored with every
 * user's history. Healthy: ready, the served model is younger than {@code max.staleness.ms}, every
 * feed is in contact with Kafka, and the features are written for the served model's spec. An
 * unhealthy answer lists every reason.
 */
public final class Health {
    /** Status code and JSON body of a health answer. */
    public record Report(int status, Map<String, Object> body) {}

    private final ModelRegistry registry;
    private final List<SupervisedFeed> feeds;
    private final FeaturesFeed features;
    private final long maxStalenessMs;

    public Health(ModelRegistry registry, List<SupervisedFeed> feeds, FeaturesFeed features, long maxStalenessMs) {
        this.registry = registry;
        this.feeds = feeds;
        this.features = features;
        this.maxStalenessMs = maxStalenessMs;
    }

    public Report ready() {
        ModelRegistry.Live l = registry.peek();
        Map<String, Object> body = new LinkedHashMap<>();
        boolean ready = l != null && features.loaded();
        body.put("status", ready ? "ready" : l == null ? "waiting for a model" : "loading serving features");
        if (l != null) {
            body.put("model_epoch", l.epoch());
            body.put("model_version", l.version());
        }
        return new Report(ready ? 200 : 503, body);
    }

    /** Why the features cannot serve the model, or null: they are written for another spec. */
    private String specMismatch(ModelRegistry.Live l) {
        long written = features.newestSpec();
        long served = l.model().spec().fingerprint();
        if (written == 0 || written == served) return null;
        return "serving features are written for spec " + Long.toHexString(written) + " but the served model has spec "
                + Long.toHexString(served) + ": user histories are not used until a model of spec "
                + Long.toHexString(written) + " arrives";
    }

    public Report healthy() {
        long now = System.currentTimeMillis();
        List<String> reasons = new ArrayList<>();
        Map<String, Object> body = new LinkedHashMap<>();
        ModelRegistry.Live l = registry.peek();
        if (l == null) {
            reasons.add("no model loaded yet");
        } else {
            long age = now - l.createdAt();
            body.put("model_epoch", l.epoch());
            body.put("model_version", l.version());
            body.put("model_age_ms", age);
            if (maxStalenessMs > 0 && age > maxStalenessMs) {
                reasons.add("the served model is " + age / 1000 + " s old (max.staleness.ms " + maxStalenessMs + ")");
            }
            String mismatch = specMismatch(l);
            if (mismatch != null) reasons.add(mismatch);
        }
        if (!features.loaded()) reasons.add("loading serving features (lag " + features.status().lag() + " records)");
        Map<String, Object> feedStates = new LinkedHashMap<>();
        for (SupervisedFeed f : feeds) {
            SupervisedFeed.Status s = f.status();
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("up", s.up());
            state.put("restarts", s.restarts());
            state.put("lag", s.lag());
            if (!s.up()) {
                state.put("reason", s.reason());
                reasons.add(s.name() + " feed down: " + s.reason());
            }
            feedStates.put(s.name(), state);
        }
        body.put("feeds", feedStates);
        if (!registry.lastRefusal().isEmpty()) body.put("last_refused_update", registry.lastRefusal());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", reasons.isEmpty() ? "ok" : "unhealthy");
        if (!reasons.isEmpty()) out.put("reasons", reasons);
        out.putAll(body);
        return new Report(reasons.isEmpty() ? 200 : 503, out);
    }
}
