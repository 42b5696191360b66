package io.widedeep.serving;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.serving.features.LiveContext;
import io.widedeep.serving.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores candidates for a user with the live model: features through the same
 * {@link FeatureExtractor} the trainer used, with the user's live history and each item's attributes
 * as last shown (request context wins over them), scored in one batch by {@link WideDeepModel#predict}.
 * Each request thread keeps its own buffers, sized in powers of two.
 */
public final class Recommender {
    public record Scored(String itemId, float score) {}

    public record Result(long epoch, long version, List<Scored> items) {}

    /** One row to score: user, item, and the request's context. */
    public record Row(String userId, String itemId, Map<String, String> context, Map<String, Double> numeric) {}

    private final ModelRegistry registry;
    private final LiveContext live;
    private final ThreadLocal<Worker> workers = new ThreadLocal<>();

    public Recommender(ModelRegistry registry, LiveContext live) {
        this.registry = registry;
        this.live = live;
    }

    private final class Worker {
        final long fingerprint;
        final FeatureExtractor extractor;
        final ExampleBatch[] batches = new ExampleBatch[16];
        final WideDeepModel.Scratch[] scratches = new WideDeepModel.Scratch[16];
        float[] out = new float[16];

        Worker(WideDeepModel m) {
            fingerprint = m.spec().fingerprint();
            extractor = new FeatureExtractor(m.spec());
        }

        int bucket(int n) {
            return 32 - Integer.numberOfLeadingZeros(Math.max(16, n) - 1) - 4;
        }

        float[] score(WideDeepModel m, List<Row> rows) {
            int n = rows.size();
            int b = bucket(n);
            if (batches[b] == null) {
                batches[b] = extractor.newBatch(16 << b);
                scratches[b] = m.newScratch(16 << b);
            }
            ExampleBatch batch = batches[b];
            batch.clear();
            long now = System.currentTimeMillis();
            for (Row r : rows) {
                LiveContext.Item item = live.item(r.itemId());
                Map<String, String> ctx = r.context();
                Map<String, Double> num = r.numeric();
                if (item != null) {
                    ctx = merge(item.context(), r.context());
                    num = merge(item.numeric(), r.numeric());
                }
                extractor.extract(r.userId(), r.itemId(), ctx, num, now, live.history(r.userId()), 0f, batch);
            }
            if (out.length < n) out = new float[batches[b].capacity()];
            m.predict(batch, scratches[b], out);
            return out;
        }
    }

    private static <V> Map<String, V> merge(Map<String, V> base, Map<String, V> over) {
        if (over == null || over.isEmpty()) return base;
        if (base.isEmpty()) return over;
        Map<String, V> m = new HashMap<>(base);
        m.putAll(over);
        return m;
    }

    /** Raw click probabilities of the rows, in order; null while no model is loaded. */
    public Result score(List<Row> rows) {
        ModelRegistry.Live l = registry.acquire();
        if (l == null) return null;
        try {
            float[] p = worker(l.model).score(l.model, rows);
            List<Scored> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) out.add(new Scored(rows.get(i).itemId(), p[i]));
            return new Result(l.epoch(), l.version(), out);
        } finally {
            registry.release(l);
        }
    }

    /** The top {@code k} of the candidates (or of the popular items when there are none). */
    public Result recommend(String user, Map<String, String> context, Map<String, Double> numeric,
                            List<String> candidates, int k) {
        List<String> items = candidates == null || candidates.isEmpty() ? live.popular() : candidates;
        List<Row> rows = new ArrayList<>(items.size());
        for (String item : items) rows.add(new Row(user, item, context, numeric));
        if (rows.isEmpty()) {
            ModelRegistry.Live l = registry.acquire();
            if (l == null) return null;
            registry.release(l);
            return new Result(l.epoch(), l.version(), List.of());
        }
        Result all = score(rows);
        if (all == null) return null;
        List<Scored> sorted = new ArrayList<>(all.items());
        sorted.sort((a, b) -> Float.compare(b.score(), a.score()));
        return new Result(all.epoch(), all.version(), sorted.subList(0, Math.min(k, sorted.size())));
    }

    private Worker worker(WideDeepModel m) {
        Worker w = workers.get();
        if (w == null || w.fingerprint != m.spec().fingerprint()) {
            w = new Worker(m);
            workers.set(w);
        }
        return w;
    }
}
