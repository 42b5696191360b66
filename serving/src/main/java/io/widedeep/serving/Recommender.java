package io.widedeep.serving;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.serving.features.FeaturesFeed;
import io.widedeep.serving.features.ItemCatalog;
import io.widedeep.serving.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Scores candidates for a user with the live model: features through the same
 * {@link FeatureExtractor} the trainer used, with the user's history and each item's attributes as
 * last shown, both as the training job published them (request context wins over the item's), scored in one batch by {@link WideDeepModel#predict}.
 *
 * <p>The ranking path ({@link #rank}) allocates nothing per candidate: each request thread keeps its
 * own batch, model scratch, score array, the request's context and numerics resolved once per request
 * (each item's were resolved when it was shown, so a candidate costs no map probe or string hash for
 * them) and a {@link Ranking} of primitive arrays, all sized in powers of two and reused. Only what
 * the caller builds from the ranking (the response) is new per request.
 */
public final class Recommender {
    public record Scored(String itemId, float score) {}

    public record Result(long epoch, long version, List<Scored> items) {}

    /** One row to score: user, item, and the request's context. */
    public record Row(String userId, String itemId, Map<String, String> context, Map<String, Double> numeric) {}

    /**
     * The top of one request, best first: {@code index[i]} is the position in the candidate list,
     * {@code score[i]} its click probability. Owned by the request thread; valid until its next call.
     */
    public static final class Ranking {
        public long epoch;
        public long version;
        public int size;
        public int[] index = new int[16];
        public float[] score = new float[16];

        void reset(int k) {
            if (index.length < k) {
                index = new int[Integer.highestOneBit(k - 1) << 1];
                score = new float[index.length];
            }
            size = 0;
        }
    }

    private final ModelRegistry registry;
    private final FeaturesFeed features;
    private final ThreadLocal<Worker> workers = new ThreadLocal<>();

    public Recommender(ModelRegistry registry, FeaturesFeed features) {
        this.registry = registry;
        this.features = features;
    }

    private final class Worker {
        final long fingerprint;
        final FeatureExtractor extractor;
        final ExampleBatch[] batches = new ExampleBatch[16];
        final WideDeepModel.Scratch[] scratches = new WideDeepModel.Scratch[16];
        float[] out = new float[16];
        final FeatureExtractor.FieldValues request;
        final FeatureExtractor.FieldValues shownScratch;
        final Ranking ranking = new Ranking();

        Worker(WideDeepModel m) {
            fingerprint = m.spec().fingerprint();
            extractor = new FeatureExtractor(m.spec());
            request = extractor.newValues();
            shownScratch = extractor.newValues();
        }

        int bucket(int n) {
            return 32 - Integer.numberOfLeadingZeros(Math.max(16, n) - 1) - 4;
        }

        ExampleBatch batchFor(WideDeepModel m, int n) {
            // a scratch holds buffers only (scoring uses the calling model's weights), so it serves
            // both copies of the left-right registry and every model of the same spec
            int b = bucket(n);
            if (batches[b] == null) batches[b] = extractor.newBatch(16 << b);
            if (scratches[b] == null) scratches[b] = m.newScratch(16 << b);
            ExampleBatch batch = batches[b];
            batch.clear();
            return batch;
        }

        float[] predict(WideDeepModel m, ExampleBatch batch, int n) {
            if (out.length < batch.capacity()) out = new float[batch.capacity()];
            m.predict(batch, scratches[bucket(n)], out);
            return out;
        }

        /** Looks up the request's context and numerics once, for all its candidates. */
        FeatureExtractor.FieldValues request(Map<String, String> ctx, Map<String, Double> num) {
            return extractor.resolve(ctx, num, request);
        }

        /** One candidate: the request's values over the item's as last shown. */
        void add(ExampleBatch batch, String user, String item, FeatureExtractor.FieldValues req, UserHistory history, long now) {
            ItemCatalog.Item shown = features.items().item(item);
            FeatureExtractor.FieldValues attrs = null;
            if (shown != null) {
                attrs = shown.values() != null && shown.values().specFingerprint() == fingerprint ? shown.values()
                        : extractor.resolve(shown.context(), shown.numeric(), shownScratch); // not yet resolved for this spec
            }
            extractor.extract(user, item, req, attrs, now, history, 0f, batch);
        }
    }

    /** What a request ranks: its candidates, or the popular items when it names none. */
    public List<String> itemsFor(List<String> candidates) {
        return candidates == null || candidates.isEmpty() ? features.items().popular() : candidates;
    }

    /**
     * Ranks the items (see {@link #itemsFor}) for the user and returns the top {@code k} in this
     * thread's {@link Ranking}, as positions in {@code items}; null while no model is loaded.
     */
    public Ranking rank(String user, Map<String, String> context, Map<String, Double> numeric,
                        List<String> items, int k) {
        ModelRegistry.Live l = registry.acquire();
        if (l == null) return null;
        try {
            WideDeepModel m = l.model();
            Worker w = worker(m);
            Ranking r = w.ranking;
            r.epoch = l.epoch();
            r.version = l.version();
            int n = items.size();
            r.reset(Math.min(k, n));
            if (n == 0) return r;
            ExampleBatch batch = w.batchFor(m, n);
            long now = System.currentTimeMillis();
            FeatureExtractor.FieldValues req = w.request(context, numeric);
            UserHistory history = features.history(user, m);
            for (int i = 0; i < n; i++) w.add(batch, user, items.get(i), req, history, now);
            topK(w.predict(m, batch, n), n, Math.min(k, n), r);
            return r;
        } finally {
            registry.release(l);
        }
    }

    /** The {@code k} best of {@code p[0..n)} into {@code r}, best first, through a min-heap of indices. */
    static void topK(float[] p, int n, int k, Ranking r) {
        int[] heap = r.index;
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (size < k) {
                heap[size] = i;
                siftUp(heap, size++, p);
            } else if (p[i] > p[heap[0]]) {
                heap[0] = i;
                siftDown(heap, size, p);
            }
        }
        for (int end = size - 1; end > 0; end--) { // heap sort: smallest goes to the back
            int t = heap[0];
            heap[0] = heap[end];
            heap[end] = t;
            siftDown(heap, end, p);
        }
        for (int i = 0; i < size; i++) r.score[i] = p[heap[i]];
        r.size = size;
    }

    private static void siftUp(int[] h, int i, float[] p) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (p[h[i]] >= p[h[parent]]) return;
            int t = h[i];
            h[i] = h[parent];
            h[parent] = t;
            i = parent;
        }
    }

    private static void siftDown(int[] h, int size, float[] p) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, m = i;
            if (l < size && p[h[l]] < p[h[m]]) m = l;
            if (l + 1 < size && p[h[l + 1]] < p[h[m]]) m = l + 1;
            if (m == i) return;
            int t = h[i];
            h[i] = h[m];
            h[m] = t;
            i = m;
        }
    }

    /** Raw click probabilities of the rows, in order; null while no model is loaded. */
    public Result score(List<Row> rows) {
        ModelRegistry.Live l = registry.acquire();
        if (l == null) return null;
        try {
            Worker w = worker(l.model());
            int n = rows.size();
            ExampleBatch batch = w.batchFor(l.model(), n);
            long now = System.currentTimeMillis();
            for (Row r : rows) {
                w.add(batch, r.userId(), r.itemId(), w.request(r.context(), r.numeric()), features.history(r.userId(), l.model()), now);
            }
            float[] p = w.predict(l.model(), batch, n);
            List<Scored> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(new Scored(rows.get(i).itemId(), p[i]));
            return new Result(l.epoch(), l.version(), out);
        } finally {
            registry.release(l);
        }
    }

    /**
     * The feature row this server would score for the user, item and request context with the served
     * model (event time and label aside): what to compare with the row training built. Null while no
     * model is loaded.
     */
    public FeatureRow featureRow(String user, String item, Map<String, String> context, Map<String, Double> numeric) {
        ModelRegistry.Live l = registry.acquire();
        if (l == null) return null;
        try {
            WideDeepModel m = l.model();
            Worker w = new Worker(m); // its own: the calling thread's worker may be mid-request
            ExampleBatch batch = w.extractor.newBatch(1);
            w.add(batch, user, item, w.request(context, numeric), features.history(user, m), 0L);
            return batch.row(0);
        } finally {
            registry.release(l);
        }
    }

    /** {@link #rank} as a self-contained result (for callers off the hot path). */
    public Result recommend(String user, Map<String, String> context, Map<String, Double> numeric,
                            List<String> candidates, int k) {
        List<String> items = itemsFor(candidates);
        Ranking r = rank(user, context, numeric, items, k);
        if (r == null) return null;
        List<Scored> top = new ArrayList<>(r.size);
        for (int i = 0; i < r.size; i++) top.add(new Scored(items.get(r.index[i]), r.score[i]));
        return new Result(r.epoch, r.version, top);
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
