package io.widedeep.serving.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.widedeep.serving.Recommender;
import io.widedeep.serving.features.LiveContext;
import io.widedeep.serving.registry.ModelRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The HTTP API: {@code POST /v1/recommend}, {@code POST /v1/score}, {@code GET /healthz},
 * {@code GET /metrics}. Bodies are strict JSON: unknown fields, wrong types, missing ids, too many
 * candidates or an oversized body are answered with a 4xx and a message; nothing a client sends can
 * make it answer 500.
 */
public final class ApiHandler extends Handler.Abstract {
    /** {@code POST /v1/recommend} body. */
    public record RecommendRequest(String user_id, Map<String, String> context, Map<String, Double> numeric,
                                   List<String> candidates, Integer k) {}

    /** {@code POST /v1/score} body. */
    public record ScoreRequest(List<ScoreRow> rows) {}

    public record ScoreRow(String user_id, String item_id, Map<String, String> context, Map<String, Double> numeric) {}

    public record Limits(int maxBodyBytes, int maxCandidates, int maxK) {}

    private static final class BadRequest extends Exception {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final ObjectMapper json;
    private final Recommender recommender;
    private final ModelRegistry registry;
    private final LiveContext live;
    private final Limits limits;
    private final LatencyHistogram recommendLatency = new LatencyHistogram();
    private final LatencyHistogram scoreLatency = new LatencyHistogram();
    private final Map<Integer, LongAdder> responses = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.function.LongSupplier corruptMessages;

    public ApiHandler(Recommender recommender, ModelRegistry registry, LiveContext live, Limits limits,
                      java.util.function.LongSupplier corruptMessages) {
        this.recommender = recommender;
        this.registry = registry;
        this.live = live;
        this.limits = limits;
        this.corruptMessages = corruptMessages;
        JsonMapper m = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        // "k": "5" or "candidates": "a" are type errors, not conversions
        m.coercionConfigDefaults().setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail).setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        this.json = m;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        int status;
        byte[] body;
        String type = "application/json";
        try {
            // Every request's body is read (bounded), whatever the answer: an unread body would make
            // the connection unusable for the client's next request.
            byte[] content = readBody(request);
            switch (path) {
                case "/v1/recommend" -> {
                    requirePost(method);
                    body = recommend(parse(content, RecommendRequest.class));
                    status = 200;
                }
                case "/v1/score" -> {
                    requirePost(method);
                    body = score(parse(content, ScoreRequest.class));
                    status = 200;
                }
                case "/healthz" -> {
                    ModelRegistry.Live l = registry.peek();
                    status = l == null ? 503 : 200;
                    body = json.writeValueAsBytes(l == null ? Map.of("status", "waiting for a model")
                            : Map.of("status", "ready", "model_epoch", l.epoch(), "model_version", l.version()));
                }
                case "/metrics" -> {
                    status = 200;
                    type = "text/plain; version=0.0.4";
                    body = metrics().getBytes(StandardCharsets.UTF_8);
                }
                default -> throw new BadRequest(404, "no such endpoint: " + path);
            }
        } catch (BadRequest e) {
            status = e.status;
            body = error(e.getMessage());
        } catch (ModelNotReady e) {
            status = 503;
            body = error("no model loaded yet");
        } catch (RuntimeException | IOException e) {
            status = 500;
            body = error("internal error: " + e);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.write(true, ByteBuffer.wrap(body), callback);
        responses.computeIfAbsent(status, s -> new LongAdder()).increment();
        if (status == 200) {
            if (path.equals("/v1/recommend")) recommendLatency.record(System.nanoTime() - start);
            else if (path.equals("/v1/score")) scoreLatency.record(System.nanoTime() - start);
        }
        return true;
    }

    private static final class ModelNotReady extends Exception {}

    private static void requirePost(String method) throws BadRequest {
        if (!"POST".equals(method)) throw new BadRequest(405, "use POST");
    }

    /** Bodies up to this size are read to the end even when refused, so the client gets its 413. */
    private static final long DRAIN_LIMIT = 16L << 20;

    private byte[] readBody(Request request) throws BadRequest, IOException {
        long declared = request.getLength();
        if (declared > limits.maxBodyBytes()) {
            drain(request);
            throw new BadRequest(413, "body of " + declared + " bytes exceeds " + limits.maxBodyBytes());
        }
        try {
            // reads to the end of the request, so the connection is ready for the client's next one
            return Content.Source.asByteArrayAsync(request, limits.maxBodyBytes()).get();
        } catch (java.util.concurrent.ExecutionException e) {
            drain(request);
            throw new BadRequest(413, "body exceeds " + limits.maxBodyBytes() + " bytes");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static void drain(Request request) throws IOException {
        InputStream in = Content.Source.asInputStream(request);
        byte[] sink = new byte[64 << 10];
        long drained = 0;
        for (int n; drained < DRAIN_LIMIT && (n = in.read(sink)) > 0; ) drained += n;
    }

    private <T> T parse(byte[] buf, Class<T> type) throws BadRequest, IOException {
        if (buf.length == 0) throw new BadRequest(400, "empty body: a JSON object is required");
        try {
            T value = json.readValue(buf, type);
            if (value == null) throw new BadRequest(400, "body must be a JSON object");
            return value;
        } catch (JsonProcessingException e) {
            throw new BadRequest(400, "invalid request: " + e.getOriginalMessage());
        }
    }

    private byte[] recommend(RecommendRequest r) throws BadRequest, ModelNotReady, IOException {
        requireId("user_id", r.user_id());
        int k = r.k() == null ? 10 : r.k();
        if (k < 1 || k > limits.maxK()) throw new BadRequest(400, "k must be in [1, " + limits.maxK() + "], got " + k);
        List<String> candidates = r.candidates();
        if (candidates != null) {
            if (candidates.size() > limits.maxCandidates()) {
                throw new BadRequest(400, candidates.size() + " candidates exceed the limit of " + limits.maxCandidates());
            }
            for (int i = 0; i < candidates.size(); i++) requireId("candidates[" + i + "]", candidates.get(i));
        }
        checkContext(r.context(), r.numeric());
        List<String> items = candidates == null || candidates.isEmpty() ? live.popular() : candidates;
        Recommender.Ranking res = recommender.rank(r.user_id(), orEmpty(r.context()), orEmpty(r.numeric()), items, k);
        if (res == null) throw new ModelNotReady();
        // written straight from the ranking's arrays: no per-item objects
        ResponseBuffer buf = responseBuffers.get();
        buf.reset();
        try (JsonGenerator g = json.getFactory().createGenerator(buf)) {
            g.writeStartObject();
            g.writeNumberField("model_epoch", res.epoch);
            g.writeNumberField("model_version", res.version);
            g.writeArrayFieldStart("items");
            for (int i = 0; i < res.size; i++) {
                g.writeStartObject();
                g.writeStringField("item_id", items.get(res.index[i]));
                g.writeNumberField("score", res.score[i]);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return buf.toByteArray();
    }

    /** A per-thread output buffer for responses; the bytes handed to Jetty are a copy of exactly the response. */
    private static final class ResponseBuffer extends ByteArrayOutputStream {
        ResponseBuffer() {
            super(4096);
        }
    }

    private final ThreadLocal<ResponseBuffer> responseBuffers = ThreadLocal.withInitial(ResponseBuffer::new);

    private byte[] score(ScoreRequest r) throws BadRequest, ModelNotReady, IOException {
        if (r.rows() == null || r.rows().isEmpty()) throw new BadRequest(400, "rows: at least one row is required");
        if (r.rows().size() > limits.maxCandidates()) {
            throw new BadRequest(400, r.rows().size() + " rows exceed the limit of " + limits.maxCandidates());
        }
        List<Recommender.Row> rows = new ArrayList<>(r.rows().size());
        for (int i = 0; i < r.rows().size(); i++) {
            ScoreRow row = r.rows().get(i);
            if (row == null) throw new BadRequest(400, "rows[" + i + "] is null");
            requireId("rows[" + i + "].user_id", row.user_id());
            requireId("rows[" + i + "].item_id", row.item_id());
            checkContext(row.context(), row.numeric());
            rows.add(new Recommender.Row(row.user_id(), row.item_id(), orEmpty(row.context()), orEmpty(row.numeric())));
        }
        Recommender.Result res = recommender.score(rows);
        if (res == null) throw new ModelNotReady();
        return json.writeValueAsBytes(result(res, "scores"));
    }

    private static Map<String, Object> result(Recommender.Result res, String field) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model_epoch", res.epoch());
        out.put("model_version", res.version());
        List<Map<String, Object>> items = new ArrayList<>(res.items().size());
        for (Recommender.Scored s : res.items()) items.add(Map.of("item_id", s.itemId(), "score", s.score()));
        out.put(field, items);
        return out;
    }

    private static void requireId(String name, String v) throws BadRequest {
        if (v == null || v.isEmpty()) throw new BadRequest(400, name + " is required");
        if (v.length() > 512) throw new BadRequest(400, name + " longer than 512 characters");
    }

    private static void checkContext(Map<String, String> ctx, Map<String, Double> num) throws BadRequest {
        if (ctx != null) {
            if (ctx.size() > 256) throw new BadRequest(400, "context has more than 256 entries");
            for (Map.Entry<String, String> e : ctx.entrySet()) {
                if (e.getValue() == null) throw new BadRequest(400, "context." + e.getKey() + " is null");
            }
        }
        if (num != null) {
            if (num.size() > 256) throw new BadRequest(400, "numeric has more than 256 entries");
            for (Map.Entry<String, Double> e : num.entrySet()) {
                if (e.getValue() == null || !Double.isFinite(e.getValue())) {
                    throw new BadRequest(400, "numeric." + e.getKey() + " must be a finite number");
                }
            }
        }
    }

    private static <V> Map<String, V> orEmpty(Map<String, V> m) {
        return m == null ? Map.of() : m;
    }

    private byte[] error(String message) {
        try {
            return json.writeValueAsBytes(Map.of("error", message));
        } catch (JsonProcessingException e) {
            return "{\"error\":\"unprintable\"}".getBytes(StandardCharsets.UTF_8);
        }
    }

    private String metrics() {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("# TYPE widedeep_request_seconds histogram\n");
        recommendLatency.writeTo(sb, "widedeep_request_seconds", "endpoint=\"recommend\"");
        scoreLatency.writeTo(sb, "widedeep_request_seconds", "endpoint=\"score\"");
        sb.append("# TYPE widedeep_responses_total counter\n");
        responses.forEach((s, n) -> sb.append("widedeep_responses_total{status=\"").append(s).append("\"} ").append(n.sum()).append('\n'));
        ModelRegistry.Live l = registry.peek();
        long now = System.currentTimeMillis();
        sb.append("# TYPE widedeep_model_ready gauge\nwidedeep_model_ready ").append(l == null ? 0 : 1).append('\n');
        if (l != null) {
            sb.append("# TYPE widedeep_model_version gauge\nwidedeep_model_version ").append(l.version()).append('\n');
            sb.append("# TYPE widedeep_model_epoch gauge\nwidedeep_model_epoch ").append(l.epoch()).append('\n');
            sb.append("# TYPE widedeep_model_staleness_seconds gauge\nwidedeep_model_staleness_seconds ")
                    .append((now - l.createdAt()) / 1000.0).append('\n');
            sb.append("# TYPE widedeep_model_trained_examples gauge\nwidedeep_model_trained_examples ")
                    .append(l.model.trainedExamples()).append('\n');
            sb.append("# TYPE widedeep_model_event_lag_seconds gauge\nwidedeep_model_event_lag_seconds ")
                    .append((now - l.maxEventTime()) / 1000.0).append('\n');
            sb.append("# TYPE widedeep_pv_logloss gauge\nwidedeep_pv_logloss ").append(l.pvWindowLogLoss()).append('\n');
            sb.append("# TYPE widedeep_pv_auc gauge\nwidedeep_pv_auc ").append(l.pvWindowAuc()).append('\n');
        }
        sb.append("# TYPE widedeep_updates_applied_total counter\nwidedeep_updates_applied_total ").append(registry.appliedUpdates()).append('\n');
        sb.append("# TYPE widedeep_updates_refused_total counter\nwidedeep_updates_refused_total ")
                .append(registry.refusedUpdates() + corruptMessages.getAsLong()).append('\n');
        sb.append("# TYPE widedeep_live_users gauge\nwidedeep_live_users ").append(live.users()).append('\n');
        sb.append("# TYPE widedeep_live_items gauge\nwidedeep_live_items ").append(live.items()).append('\n');
        return sb.toString();
    }
}
