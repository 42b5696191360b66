package io.widedeep.serving.http;

import io.widedeep.serving.kafka.SupervisedFeed;
import io.widedeep.serving.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code /healthz} and {@code /readyz} answer. Ready: a model is loaded, so recommendations can
 * be served. Healthy: ready, the served model is younger than {@code max.staleness.ms}, and every
 * feed is in contact with Kafka. An unhealthy answer lists every reason.
 */
public final class Health {
    /** Status code and JSON body of a health answer. */
    public record Report(int status, Map<String, Object> body) {}

    private final ModelRegistry registry;
    private final List<SupervisedFeed> feeds;
    private final long maxStalenessMs;

    public Health(ModelRegistry registry, List<SupervisedFeed> feeds, long maxStalenessMs) {
        this.registry = registry;
        this.feeds = feeds;
        this.maxStalenessMs = maxStalenessMs;
    }

    public Report ready() {
        ModelRegistry.Live l = registry.peek();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", l == null ? "waiting for a model" : "ready");
        if (l != null) {
            body.put("model_epoch", l.epoch());
            body.put("model_version", l.version());
        }
        return new Report(l == null ? 503 : 200, body);
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
        }
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
