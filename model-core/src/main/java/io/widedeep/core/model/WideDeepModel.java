package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.optim.AdaGrad;
import io.widedeep.core.optim.Adam;
import io.widedeep.core.optim.AdamW;
import io.widedeep.core.optim.RmsProp;
import io.widedeep.core.optim.DenseOptimizer;
import io.widedeep.core.optim.FtrlProximal;
import io.widedeep.core.optim.SparseRowOptimizer;
import io.widedeep.core.parallel.Collective;
import io.widedeep.core.spec.FeatureSpec;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The joint Wide &amp; Deep model (Cheng et al., "Wide &amp; Deep Learning for Recommender Systems",
 * DLRS 2016): {@code logit = wide(x) + deep(x) + bias}, one logistic loss, and each mini-batch's
 * gradient flows to both parts in the same step: FTRL-Proximal for the wide weights and the bias,
 * AdaGrad (or Adam) for the embeddings and the MLP.
 *
 * <p>The loss of a batch is the sum of the examples' log losses. {@link #trainBatch} scores every
 * example before it learns from it, so its predictions are progressive-validation predictions.
 *
 * <p><b>Late clicks.</b> A row marked {@link ExampleBatch#isLateClick} is the click of an impression
 * that was trained earlier as a negative (its click came after the attribution window). It is trained
 * with the positive's loss minus the negative's, {@code logLoss(z, 1) - logLoss(z, 0) = -z}: the
 * PU loss of Ktena et al., "Addressing Delayed Feedback for Continuous Training with Neural Networks
 * in CTR Prediction", RecSys 2019. Its gradient is -1 for any logit, so together with the earlier
 * negative's gradient {@code p} the impression has, in expectation, been trained once as the
 * positive it is ({@code p - 1}); the intercept's counter counts the click without a second example.
 *
 * <p><b>Unknown values</b> ({@code wide.unknown_values}). A field's value whose own wide weight is
 * still zero (never seen, or held at zero by L1 for want of evidence) adds its field's shared
 * "unknown value" weight instead, which learns what such values have in common: the out-of-vocabulary
 * token of Criteo's winning field-aware FM entries (rare values mapped to one), but decided by the
 * weight itself, so serving (which holds the weights) decides exactly as training did.
 *
 * <p>A trainable model holds optimizer state; a serving model ({@link #forServing}) holds weights
 * only and is filled by snapshots and deltas. Both score through the same {@link #predict}.
 * Training is single-threaded; {@link #predict} may run on many threads, each with its own
 * {@link Scratch}, as long as nothing mutates the model meanwhile.
 */
public final class WideDeepModel {
    private static final int EXPIRY_EVERY_BATCHES = 64;

    final FeatureSpec spec;
    final boolean trainable;
    final DataType dtype;
    final WideTable wide;
    final EmbeddingTable[] embeddings;
    final Mlp mlp;
    final NumericNormalizer normalizer;
    final FtrlProximal ftrl;
    final FtrlProximal biasFtrl;
    final double[] biasZ = new double[1]; // FTRL state of the bias
    final double[] biasN = new double[1];
    final BaseRate baseRate;
    final CounterMixture mixture;
    private final BaseRate counterWalk; // the base rate as each row of the batch in training sees it
    /** The intercept: the base rate's log-odds plus the learned offset (FTRL state biasZ, biasN). */
    float bias;
    long trainedExamples;
    long batches;
    long maxEventTime = Long.MIN_VALUE;
    private boolean externalClock;
    private long expiryClock = Long.MIN_VALUE;
    private final int[] deepFields;
    private final int[] numericFields;
    private final int[] embeddingOffsets;
    private final boolean fm;
    private final boolean unknownValues;
    /** Per wide group (field or cross) weights, null unless {@code wide.field_gates}. */
    final FieldGates gates;
    private Scratch trainScratch;
    private float[] dOut;
    private DataParallelMlp parallel; // null: this model computes its whole MLP step itself
    private long denseNanos;

    WideDeepModel(FeatureSpec spec, boolean trainable, DataType dtype) {
        this.spec = spec;
        this.trainable = trainable;
        this.dtype = dtype;
        this.ftrl = new FtrlProximal(spec.ftrl());
        this.biasFtrl = FtrlProximal.forBias(spec.ftrl());
        FeatureSpec.BaseRatePrior prior = spec.baseRate();
        this.baseRate = new BaseRate(prior.ctr(), prior.weight(), prior.halfLife());
        this.mixture = new CounterMixture(prior.counterPrior());
        this.counterWalk = new BaseRate(prior.ctr(), prior.weight(), prior.halfLife());
        this.bias = (float) baseRate.logOdds();
        this.wide = spec.hasWide() ? new WideTable(trainable, spec.wideExpireAfterMs() > 0, 1 << 12) : null;
        this.deepFields = spec.deepFields();
        this.numericFields = spec.numericFields();
        this.embeddings = new EmbeddingTable[deepFields.length];
        this.embeddingOffsets = new int[deepFields.length];
        this.fm = spec.interaction() == FeatureSpec.Interaction.FM;
        this.unknownValues = spec.wideUnknownValues();
        this.gates = spec.fieldGates() && wide != null ? new FieldGates(spec.wideGroups(), spec.fieldGateLearningRate()) : null;
        int off = 0;
        for (int k = 0; k < deepFields.length; k++) {
            SparseRowOptimizer opt = trainable ? rowOptimizer(spec) : null;
            embeddings[k] = new EmbeddingTable(spec.embeddingDims()[k], opt, spec.seed() * 31 + k, spec.minCount(),
                    spec.embeddingExpireAfterMs() > 0, 1 << 10);
            embeddingOffsets[k] = off;
            off += spec.embeddingDims()[k];
        }
        this.normalizer = new NumericNormalizer(numericFields.length);
        this.mlp = spec.hasDeep()
                ? new Mlp(spec.deepInputWidth(), spec.crossLayers(), spec.hidden(), spec.activation(), spec.dropout(), dtype, trainable ? denseOptimizer(spec) : null, spec.seed())
                : null;
    }

    /** A new trainable model with float32 dense math. */
    public static WideDeepModel create(FeatureSpec spec) {
        return new WideDeepModel(spec, true, DataType.FLOAT);
    }

    /** A new trainable model whose dense math runs in the given precision (DOUBLE for gradient checks). */
    public static WideDeepModel create(FeatureSpec spec, DataType dtype) {
        return new WideDeepModel(spec, true, dtype);
    }

    /** An empty weights-only model, to be filled from a snapshot. */
    public static WideDeepModel forServing(FeatureSpec spec) {
        return new WideDeepModel(spec, false, DataType.FLOAT);
    }

    private static SparseRowOptimizer rowOptimizer(FeatureSpec spec) {
        FeatureSpec.DeepOptimizer o = spec.deepOptimizer();
        return switch (o.type()) {
            case ADAM -> new Adam(o.learningRate(), o.beta1(), o.beta2(), o.epsilon());
            case ADAMW -> new AdamW(o.learningRate(), o.beta1(), o.beta2(), o.epsilon(), o.weightDecay());
            case RMSPROP -> new RmsProp(o.learningRate(), o.rho(), o.epsilon());
            case ADAGRAD -> new AdaGrad(o.learningRate(), o.initialAccumulator(), o.epsilon());
        };
    }

    private static DenseOptimizer denseOptimizer(FeatureSpec spec) {
        return (DenseOptimizer) rowOptimizer(spec);
    }

    /**
     * Trains as one rank of {@code group} (see {@link DataParallelMlp}): every rank must call
     * {@link #trainBatch} with the same batches in the same order, and they keep the same model.
     * Null (or a group of one) trains alone.
     */
    public void setDataParallel(Collective group) {
        this.parallel = group == null || group.size() == 1 || mlp == null ? null : new DataParallelMlp(group, mlp);
    }

    /**
     * Time spent in the MLP's training forward and backward passes (with N trainers: this rank's
     * slice and the collectives inside them), for benchmarks that separate dense from sparse work.
     */
    public long denseNanos() { return denseNanos; }

    public FeatureSpec spec() { return spec; }
    public boolean trainable() { return trainable; }
    public long trainedExamples() { return trainedExamples; }
    /** The running counter's weight in every prediction ({@link CounterMixture}): near 0 once the model knows more. */
    public double counterWeight() { return mixture.counterWeight(); }
    public long batches() { return batches; }
    /** Latest event time learned from, or Long.MIN_VALUE before any training. */
    public long maxEventTime() { return maxEventTime; }
    public int wideSize() { return wide == null ? 0 : wide.size(); }
    public int wideNonZero() { return wide == null ? 0 : wide.nonZero(); }
    public int embeddingRows() {
        int n = 0;
        for (EmbeddingTable t : embeddings) n += t.size();
        return n;
    }
    public long denseParams() { return mlp == null ? 0 : mlp.numParams(); }

    /** Per-thread buffers for scoring up to {@code capacity} rows at once. */
    public final class Scratch {
        final int capacity;
        final Mlp.Workspace ws;
        int[] wideSlots = new int[1024];
        int[] valueSlots = new int[1024];
        final double[] logits;
        final float[] groupSums; // [row * groups + group]: each wide group's summed weights, when gated

        Scratch(int capacity) {
            this.capacity = capacity;
            this.ws = mlp == null ? null : mlp.newWorkspace(capacity);
            this.logits = new double[capacity];
            this.groupSums = gates == null ? null : new float[capacity * gates.size()];
        }

        public int capacity() {
            return capacity;
        }
    }

    public Scratch newScratch(int capacity) {
        return new Scratch(capacity);
    }

    /**
     * Click probabilities of the batch's rows into {@code out} (the {@link CounterMixture} of the
     * counter and the model); changes nothing in the model.
     */
    public void predict(ExampleBatch batch, Scratch s, float[] out) {
        forward(batch, s, false);
        double counter = baseRate.ctr();
        for (int r = 0; r < batch.size(); r++) {
            out[r] = mixture.mix(sigmoid(s.logits[r]), counter);
        }
    }

    private float[] modelOut = new float[0];

    /**
     * One joint step: scores the batch with the current model (those are the progressive-validation
     * predictions, written to {@code pvOut}: the {@link CounterMixture}'s, row by row), then updates
     * both parts and the mixture. Returns the batch's summed log loss (the model's own).
     */
    public double trainBatch(ExampleBatch batch, float[] pvOut) {
        if (modelOut.length < batch.capacity()) modelOut = new float[batch.capacity()];
        counterWalk.copyFrom(baseRate); // before the step moves it past the whole batch
        double loss;
        if (trainedExamples < spec.batchSize() && batch.size() > 1) {
            loss = trainWarmingUp(batch, modelOut);
        } else {
            loss = forwardBackward(batch, modelOut);
            applyUpdates(batch);
        }
        for (int r = 0, n = batch.size(); r < n; r++) {
            if (batch.isLateClick(r)) {
                counterWalk.addLateClick();
                continue;
            }
            // in stream order: row r is scored with what rows before it taught the counter
            double counter = counterWalk.ctr();
            float p = mixture.mix(modelOut[r], counter);
            if (pvOut != null) pvOut[r] = p;
            mixture.observe(modelOut[r], counter, batch.label(r));
            counterWalk.add(batch.label(r));
        }
        return loss;
    }

    /**
     * Cold start: a new model learns its first batch's worth of examples in steps of 1, 1, 2, 4, 8, ...
     * examples, so that the first clicks reach the intercept before the rest of the first batch is
     * scored. Scoring a whole first batch at the prior costs more log loss on a sparse stream (one
     * click in 200) than everything the model learns in the next ten thousand examples. Copies rows;
     * runs only during the first {@code batch_size} examples of a model's life.
     */
    private double trainWarmingUp(ExampleBatch batch, float[] pvOut) {
        ExampleBatch step = new ExampleBatch(batch.capacity(), batch.numFields());
        float[] stepOut = new float[batch.capacity()];
        double loss = 0;
        for (int r = 0, n = batch.size(); r < n; ) {
            int size = (int) Math.min(Math.max(1, trainedExamples), n - r);
            step.clear();
            for (int k = r; k < r + size; k++) {
                step.add(batch.row(k));
            }
            loss += forwardBackward(step, stepOut);
            applyUpdates(step);
            if (pvOut != null) {
                System.arraycopy(stepOut, 0, pvOut, r, size);
            }
            r += size;
        }
        return loss;
    }

    /** Forward and backward without updating: gradients are left in the tables and the MLP. */
    double forwardBackward(ExampleBatch batch, float[] pvOut) {
        if (!trainable) {
            throw new IllegalStateException("a serving model has no optimizer state and cannot train");
        }
        if (trainScratch == null || trainScratch.capacity < batch.capacity()) {
            trainScratch = new Scratch(batch.capacity());
            dOut = new float[batch.capacity()];
        }
        Scratch s = trainScratch;
        forward(batch, s, true);
        int n = batch.size();
        double loss = 0;
        double biasGrad = 0;
        double biasGradSq = 0;
        for (int r = 0; r < s.capacity; r++) {
            if (r >= n) {
                dOut[r] = 0f;
                continue;
            }
            double z = s.logits[r];
            float p = sigmoid(z);
            if (pvOut != null) {
                pvOut[r] = p;
            }
            loss += rowLoss(z, batch, r);
            float g = batch.isLateClick(r) ? -1f : p - batch.label(r);
            dOut[r] = g;
            biasGrad += g;
            biasGradSq += (double) g * g;
        }
        lastBiasGrad = biasGrad;
        lastBiasGradSq = biasGradSq;
        if (wide != null) {
            // a gated key's gradient is scaled by its group's gate; a gate's is the logit's times its group's sum
            for (int r = 0; r < n; r++) {
                for (int i = batch.wideStart(r), e = batch.wideEnd(r); i < e; i++) {
                    if (s.wideSlots[i] < 0) continue; // an unknown-value key that did not count
                    wide.addGrad(s.wideSlots[i], gates == null ? dOut[r] : dOut[r] * gates.gate[group(batch.wideKey(i))]);
                }
                if (gates != null) {
                    for (int g = 0, base = r * gates.size(); g < gates.size(); g++) {
                        if (s.groupSums[base + g] != 0f) gates.addGrad(g, (double) dOut[r] * s.groupSums[base + g]);
                    }
                }
            }
        }
        if (mlp != null) {
            long t0 = System.nanoTime();
            if (parallel != null) {
                parallel.backward(s.ws, dOut);
            } else {
                mlp.backward(s.ws, dOut);
            }
            denseNanos += System.nanoTime() - t0;
            int width = mlp.inputWidth();
            float[] dIn = s.ws.dInputHost;
            if (fm) {
                backPairwiseInteractions(s, n, dIn);
            }
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < deepFields.length; k++) {
                    int f = deepFields[k];
                    int start = batch.valueStart(r, f), end = batch.valueEnd(r, f);
                    if (end == start) continue;
                    float scale = 1f / (end - start);
                    for (int i = start; i < end; i++) {
                        int slot = s.valueSlots[i];
                        if (slot >= 0) {
                            embeddings[k].addGrad(slot, dIn, r * width + embeddingOffsets[k], scale);
                        }
                    }
                }
            }
        }
        return loss;
    }

    private double lastBiasGrad;
    private double lastBiasGradSq;

    /** The wide group (field or cross) a gated key belongs to: the bits above its hash (see FeatureExtractor). */
    private static int group(long key) {
        return (int) ((key >>> FeatureExtractor.GROUP_SHIFT) & 0x7FFF) - 1;
    }

    double biasGrad() {
        return lastBiasGrad;
    }

    private void applyUpdates(ExampleBatch batch) {
        int n = batch.size();
        double offset = biasFtrl.step(biasZ, biasN, 0, lastBiasGrad, lastBiasGradSq);
        for (int r = 0; r < n; r++) {
            if (batch.isLateClick(r)) {
                baseRate.addLateClick();
            } else {
                baseRate.add(batch.label(r));
            }
        }
        bias = (float) (baseRate.logOdds() + offset);
        if (wide != null) {
            wide.applyFtrl(ftrl);
        }
        if (gates != null) {
            if (trainedExamples >= spec.fieldGateWarmup()) gates.step(); else gates.discard();
        }
        batches++;
        if (mlp != null) {
            if (spec.deepOptimizer().clipNorm() > 0) {
                mlp.clipGradients(spec.deepOptimizer().clipNorm());
            }
            mlp.step();
            for (EmbeddingTable t : embeddings) {
                t.applyUpdates(batches);
            }
            for (int r = 0; r < n; r++) {
                if (batch.isLateClick(r)) continue; // its numerics were counted with its negative
                normalizer.beginExample();
                for (int j = 0; j < numericFields.length; j++) {
                    normalizer.add(j, batch.numeric(r, numericFields[j]));
                }
            }
        }
        trainedExamples += n;
        for (int r = 0; r < n; r++) {
            if (batch.eventTime(r) > maxEventTime) maxEventTime = batch.eventTime(r);
        }
        if (batches % EXPIRY_EVERY_BATCHES == 0) {
            expire();
        }
    }

    /**
     * Measures expiry against {@code time} (the streaming job's watermark) from now on, instead of
     * the largest event time trained: one event with a wild timestamp must not expire every row.
     */
    public void setExpiryClock(long time) {
        externalClock = true;
        expiryClock = time;
    }

    private void expire() {
        long now = externalClock ? expiryClock : maxEventTime;
        if (now == Long.MIN_VALUE) {
            return; // no time yet (a watermark starts at Long.MIN_VALUE)
        }
        if (wide != null && spec.wideExpireAfterMs() > 0) {
            wide.expire(now - spec.wideExpireAfterMs());
        }
        if (spec.embeddingExpireAfterMs() > 0) {
            for (EmbeddingTable t : embeddings) {
                t.expire(now - spec.embeddingExpireAfterMs());
            }
        }
    }

    /** Whether the bias and every dense parameter are finite (cheap: sparse rows are not scanned). */
    public boolean denseFinite() {
        return Float.isFinite(bias) && (mlp == null || mlp.paramsFinite());
    }

    /** Summed log loss of a batch under the current parameters (for gradient checks). */
    double loss(ExampleBatch batch) {
        return loss(batch, false);
    }

    /** With {@code training}: the training forward of this step (the same dropout masks as its backward). */
    double loss(ExampleBatch batch, boolean training) {
        Scratch s = newScratch(batch.capacity());
        forward(batch, s, training);
        double loss = 0;
        for (int r = 0; r < batch.size(); r++) {
            loss += rowLoss(s.logits[r], batch, r);
        }
        return loss;
    }

    private void forward(ExampleBatch batch, Scratch s, boolean training) {
        int n = batch.size();
        if (n > s.capacity) {
            throw new IllegalArgumentException("batch of " + n + " rows exceeds scratch capacity " + s.capacity);
        }
        if (n == 0) {
            return;
        }
        for (int r = 0; r < n; r++) {
            s.logits[r] = bias;
        }
        if (wide != null) {
            if (s.wideSlots.length < batch.wideEnd(n - 1)) {
                s.wideSlots = new int[Math.max(batch.wideEnd(n - 1) * 2, 1024)];
            }
            for (int r = 0; r < n; r++) {
                long t = batch.eventTime(r);
                double sum = 0;
                float previous = 0f; // weight of the key before: an unknown-value key counts only after a zero
                if (gates != null) Arrays.fill(s.groupSums, r * gates.size(), (r + 1) * gates.size(), 0f);
                for (int i = batch.wideStart(r), e = batch.wideEnd(r); i < e; i++) {
                    long key = batch.wideKey(i);
                    if (unknownValues && key < 0 && previous != 0f) {
                        s.wideSlots[i] = -1;
                        continue;
                    }
                    if (training) {
                        int slot = wide.slotForTraining(key, t);
                        s.wideSlots[i] = slot;
                        previous = wide.w[slot];
                    } else {
                        previous = wide.weight(key);
                    }
                    if (gates == null) {
                        sum += previous;
                    } else {
                        s.groupSums[r * gates.size() + group(key)] += previous;
                    }
                }
                if (gates != null) {
                    for (int g = 0, base = r * gates.size(); g < gates.size(); g++) sum += gates.gate[g] * s.groupSums[base + g];
                }
                s.logits[r] += sum;
            }
        }
        if (mlp != null) {
            gatherDeepInput(batch, s, training);
            if (training) {
                long t0 = System.nanoTime();
                if (parallel != null) {
                    parallel.forward(s.ws, n, batches);
                } else {
                    mlp.forward(s.ws, batches); // keeps what backward needs; dropout masks drawn for this step
                }
                denseNanos += System.nanoTime() - t0;
            } else {
                mlp.infer(s.ws, n);
            }
            for (int r = 0; r < n; r++) {
                s.logits[r] += s.ws.out[r];
            }
            if (fm) {
                addPairwiseInteractions(s, n);
            }
        }
    }

    /**
     * The factorisation machine's pairwise term over the field embeddings e_1..e_F of each row
     * (DeepFM, Guo et al. 2017), in O(F d) by Rendle's identity:
     * {@code sum_{i<j} <e_i, e_j> = 1/2 sum_d ((sum_i e_id)^2 - sum_i e_id^2)}.
     */
    private void addPairwiseInteractions(Scratch s, int n) {
        float[] in = s.ws.input;
        int width = mlp.inputWidth();
        int dim = embeddings[0].dim;
        for (int r = 0; r < n; r++) {
            double pairs = 0;
            for (int d = 0; d < dim; d++) {
                double sum = 0, squares = 0;
                for (int k = 0; k < embeddings.length; k++) {
                    double e = in[r * width + embeddingOffsets[k] + d];
                    sum += e;
                    squares += e * e;
                }
                pairs += sum * sum - squares;
            }
            s.logits[r] += 0.5 * pairs;
        }
    }

    /** Adds d(pairwise term)/d(e_kd) = sum_i e_id - e_kd, times the row's output gradient, to dIn. */
    private void backPairwiseInteractions(Scratch s, int n, float[] dIn) {
        float[] in = s.ws.input;
        int width = mlp.inputWidth();
        int dim = embeddings[0].dim;
        for (int r = 0; r < n; r++) {
            float g = dOut[r];
            for (int d = 0; d < dim; d++) {
                float sum = 0;
                for (int k = 0; k < embeddings.length; k++) {
                    sum += in[r * width + embeddingOffsets[k] + d];
                }
                for (int k = 0; k < embeddings.length; k++) {
                    int i = r * width + embeddingOffsets[k] + d;
                    dIn[i] += g * (sum - in[i]);
                }
            }
        }
    }

    /** Whether field f of row r has exactly the values it has in row r - 1. */
    private static boolean sameValues(ExampleBatch batch, int r, int f) {
        int start = batch.valueStart(r, f), end = batch.valueEnd(r, f);
        int prev = batch.valueStart(r - 1, f);
        if (end - start != batch.valueEnd(r - 1, f) - prev) return false;
        for (int i = start; i < end; i++) {
            if (batch.value(i) != batch.value(prev + i - start)) return false;
        }
        return true;
    }

    private void gatherDeepInput(ExampleBatch batch, Scratch s, boolean training) {
        int n = batch.size();
        int width = mlp.inputWidth();
        float[] in = s.ws.input;
        int values = n == 0 ? 0 : batch.valueEnd(n - 1, batch.numFields() - 1);
        if (s.valueSlots.length < values) {
            s.valueSlots = new int[Math.max(values * 2, 1024)];
        }
        // rows past the batch are padding: zero so they stay finite; their gradients are zero anyway
        Arrays.fill(in, n * width, s.capacity * width, 0f);
        for (int r = 0; r < n; r++) {
            long t = batch.eventTime(r);
            int rowOff = r * width;
            for (int k = 0; k < deepFields.length; k++) {
                EmbeddingTable table = embeddings[k];
                int f = deepFields[k];
                int start = batch.valueStart(r, f), end = batch.valueEnd(r, f);
                if (end == start) {
                    Arrays.fill(in, rowOff + embeddingOffsets[k], rowOff + embeddingOffsets[k] + table.dim, 0f);
                    continue;
                }
                int dim = table.dim;
                int off = rowOff + embeddingOffsets[k];
                if (!training && r > 0 && sameValues(batch, r, f)) {
                    // a request's candidates share the user's fields and history: copy, don't look up again
                    System.arraycopy(in, off - width, in, off, dim);
                    continue;
                }
                Arrays.fill(in, off, off + dim, 0f);
                for (int i = start; i < end; i++) {
                    int slot = training ? table.slotForTraining(batch.value(i), t) : table.index.get(batch.value(i));
                    if (training) s.valueSlots[i] = slot;
                    if (slot < 0) continue;
                    float[] rows = table.rows;
                    int ro = slot * dim;
                    for (int j = 0; j < dim; j++) in[off + j] += rows[ro + j];
                }
                if (end - start > 1) {
                    float inv = 1f / (end - start);
                    for (int j = 0; j < dim; j++) in[off + j] *= inv;
                }
            }
            int numOff = rowOff + width - numericFields.length;
            for (int j = 0; j < numericFields.length; j++) {
                in[numOff + j] = normalizer.normalize(j, batch.numeric(r, numericFields[j]));
            }
        }
    }

    static float sigmoid(double z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    /** A row's loss: its log loss, or for a late click the correction of its earlier negative (-z). */
    private static double rowLoss(double z, ExampleBatch batch, int r) {
        return batch.isLateClick(r) ? -z : logLoss(z, batch.label(r));
    }

    /** Log loss of logit z for label y, computed stably. */
    static double logLoss(double z, double y) {
        return Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y * z;
    }
}
