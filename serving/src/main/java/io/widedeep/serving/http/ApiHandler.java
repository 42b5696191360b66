package io.widedeep.serving.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.widedeep.serving.Recommender;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

    /** {@code scoringConcurrency}: requests parsed, scored and encoded at once (0: no limit); see {@link #handle}. */
    public record Limits(int maxBodyBytes, int maxCandidates, int maxK, long bodyTimeoutMs, int scoringConcurrency) {}

    private final ObjectMapper json;
    /** Readers built once: {@code readValue(byte[], Class)} resolved the type on every request. */
    private final ObjectReader recommendReader;
    private final ObjectReader scoreReader;
    private final Recommender recommender;
    private final Limits limits;
    private final ServingMetrics metrics;
    private final Health health;
    private final Semaphore scoring;

    public ApiHandler(Recommender recommender, Limits limits, Health health, ServingMetrics metrics) {
        this.health = health;
        this.scoring = limits.scoringConcurrency() > 0 ? new Semaphore(limits.scoringConcurrency(), true) : null;
        this.recommender = recommender;
        this.limits = limits;
        this.metrics = metrics;
        // a key longer than any context key may be stops the parser there, before it is buffered whole
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNameLength(RequestChecks.MAX_KEY).build()).build();
        JsonMapper m = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT) // "k": 1.5 is an error, not k = 1
                .build();
        // "k": "5" or "candidates": "a" are type errors, not conversions
        m.coercionConfigDefaults().setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail).setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        this.json = m;
        this.recommendReader = m.readerFor(RecommendRequest.class);
        this.scoreReader = m.readerFor(ScoreRequest.class);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        try {
            switch (path) {
                case "/v1/recommend", "/v1/score" -> {
                    if (!"POST".equals(method)) throw new BadRequest(405, "use POST", "POST");
                    RequestChecks.requireJson(request);
                    readBodyThen(request, response, callback, content -> {
                        byte[] body = path.equals("/v1/recommend")
                                ? recommend(parse(content, recommendReader))
                                : score(parse(content, scoreReader));
                        if (path.equals("/v1/recommend")) metrics.recommendTook(System.nanoTime() - start);
                        else metrics.scoreTook(System.nanoTime() - start);
                        return body;
                    });
                    return true;
                }
                case "/healthz", "/readyz" -> {
                    RequestChecks.requireGet(method);
                    Health.Report r = path.equals("/healthz") ? health.healthy() : health.ready();
                    send(response, callback, r.status(), JSON_TYPE, json.writeValueAsBytes(r.body()));
                }
                case "/metrics" -> {
                    RequestChecks.requireGet(method);
                    ByteArrayOutputStream text = new ByteArrayOutputStream(16 << 10);
                    metrics.writeTo(text);
                    send(response, callback, 200, metrics.contentType(), text.toByteArray());
                }
                default -> throw new BadRequest(404, "no such endpoint: " + path);
            }
        } catch (BadRequest e) {
            drainThenFail(request, response, callback, e);
        } catch (RuntimeException | IOException e) {
            send(response, callback, 500, JSON_TYPE, error("internal error: " + e));
        }
        return true;
    }

    /**
     * Answers an error after reading and dropping whatever body the request carries (up to 16 MiB,
     * without holding a thread), so the client's connection stays usable for its next request.
     */
    private void drainThenFail(Request request, Response response, Callback callback, BadRequest e) {
        if (request.getLength() == 0 || request.getLength() > DRAIN_LIMIT) {
            fail(response, callback, e); // nothing to read, or too much: Jetty closes the connection
            return;
        }
        Content.Source.asByteArrayAsync(request, (int) DRAIN_LIMIT).orTimeout(limits.bodyTimeoutMs(), TimeUnit.MILLISECONDS)
                .whenComplete((ignored, failure) -> fail(response, callback, e));
    }

    private static final String JSON_TYPE = "application/json";

    /** Oversized bodies up to this size are read and dropped before the 413, keeping the connection usable. */
    private static final long DRAIN_LIMIT = 16L << 20;

    /** The work done on a request body once it has fully arrived. */
    private interface BodyHandler {
        byte[] handle(byte[] content) throws BadRequest, ModelNotReady, IOException;
    }

    /**
     * Reads the body without holding a thread while it arrives (a slow or stalled upload costs no
     * worker), within {@code body.timeout.ms} and {@code max.body.bytes}, then answers on the thread
     * that completed the read.
     */
    private void readBodyThen(Request request, Response response, Callback callback, BodyHandler handler)
            throws BadRequest {
        long declared = request.getLength();
        if (declared > limits.maxBodyBytes()) {
            throw new BadRequest(413, "body of " + declared + " bytes exceeds " + limits.maxBodyBytes());
        }
        Content.Source.asByteArrayAsync(request, limits.maxBodyBytes())
                .orTimeout(limits.bodyTimeoutMs(), TimeUnit.MILLISECONDS)
                .whenComplete((content, failure) -> {
                    try {
                        if (failure != null) {
                            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                    ? failure.getCause() : failure;
                            if (cause instanceof TimeoutException) {
                                throw new BadRequest(408, "the body did not arrive within " + limits.bodyTimeoutMs() + " ms");
                            }
                            if (cause instanceof IOException && String.valueOf(cause.getMessage()).contains("too large")) {
                                throw new BadRequest(413, "body exceeds " + limits.maxBodyBytes() + " bytes");
                            }
                            throw new BadRequest(400, "unreadable body: " + cause.getMessage());
                        }
                        send(response, callback, 200, JSON_TYPE, handleInTurn(handler, content));
                    } catch (BadRequest e) {
                        fail(response, callback, e);
                    } catch (ModelNotReady e) {
                        send(response, callback, 503, JSON_TYPE, error("no model loaded yet"));
                    } catch (RuntimeException | IOException e) {
                        send(response, callback, 500, JSON_TYPE, error("internal error: " + e));
                    }
                });
    }

    /**
     * Runs the CPU-bound part of a request (parse, score, encode) with at most
     * {@code scoring.concurrency} others, in arrival order. With more requests in flight than cores,
     * the scheduler would otherwise time-slice them all, and a request preempted mid-scoring waits a
     * whole time slice (milliseconds) for the CPU; queued in order it waits only for the requests
     * ahead of it (a fraction of a millisecond each). The body has fully arrived before a request
     * queues, so slow uploads never hold a turn.
     */
    private byte[] handleInTurn(BodyHandler handler, byte[] content) throws BadRequest, ModelNotReady, IOException {
        if (scoring == null) {
            return handler.handle(content);
        }
        scoring.acquireUninterruptibly();
        try {
            return handler.handle(content);
        } finally {
            scoring.release();
        }
    }

    private void fail(Response response, Callback callback, BadRequest e) {
        if (e.allow != null) response.getHeaders().put(HttpHeader.ALLOW, e.allow);
        send(response, callback, e.status, JSON_TYPE, error(e.getMessage()));
    }

    private void send(Response response, Callback callback, int status, String type, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.write(true, ByteBuffer.wrap(body), callback);
        metrics.responded(status);
    }

    private static final class ModelNotReady extends Exception {}

    private <T> T parse(byte[] buf, ObjectReader reader) throws BadRequest, IOException {
        if (buf.length == 0) throw new BadRequest(400, "empty body: a JSON object is required");
        if (!RequestChecks.validUtf8(buf)) throw new BadRequest(400, "the body is not valid UTF-8");
        try {
            T value = reader.readValue(buf);
            if (value == null) throw new BadRequest(400, "body must be a JSON object");
            return value;
        } catch (JsonProcessingException e) {
            for (Throwable t = e; t != null; t = t.getCause()) { // the mapper wraps the parser's refusal
                if (t instanceof StreamConstraintsException c && String.valueOf(c.getOriginalMessage()).startsWith("Name length")) {
                    throw new BadRequest(400, "a key is longer than " + RequestChecks.MAX_KEY + " characters");
                }
            }
            throw new BadRequest(400, "invalid request: " + RequestChecks.abbreviate(String.valueOf(e.getOriginalMessage())));
        } catch (IOException e) {
            throw new BadRequest(400, "invalid request: " + RequestChecks.abbreviate(String.valueOf(e.getMessage())));
        }
    }

    private byte[] recommend(RecommendRequest r) throws BadRequest, ModelNotReady, IOException {
        RequestChecks.requireId("user_id", r.user_id());
        int k = r.k() == null ? 10 : r.k();
        if (k < 1 || k > limits.maxK()) throw new BadRequest(400, "k must be in [1, " + limits.maxK() + "], got " + k);
        List<String> candidates = r.candidates();
        if (candidates != null) {
            if (candidates.size() > limits.maxCandidates()) {
                throw new BadRequest(400, candidates.size() + " candidates exceed the limit of " + limits.maxCandidates());
            }
            for (int i = 0; i < candidates.size(); i++) RequestChecks.requireId("candidates[" + i + "]", candidates.get(i));
        }
        RequestChecks.checkContext(r.context(), r.numeric());
        List<String> items = recommender.itemsFor(candidates);
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
            RequestChecks.requireId("rows[" + i + "].user_id", row.user_id());
            RequestChecks.requireId("rows[" + i + "].item_id", row.item_id());
            RequestChecks.checkContext(row.context(), row.numeric());
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
}
