package io.widedeep.core.model;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.optim.AdaGrad;
import io.widedeep.core.optim.Adam;
import io.widedeep.core.optim.FtrlProximal;
import io.widedeep.core.optim.SparseRowOptimizer;
import io.widedeep.core.parallel.Collective;
import io.widedeep.core.spec.FeatureSpec;
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
 * <p>Late clicks are trained as the correction of their negative ({@link LogisticLoss}); a value
 * whose own wide weight is zero counts as its field's unknown value ({@link WidePart}).
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
    private final Expiry expiry = new Expiry();
    private final int[] numericFields;
    private final DeepInput deepInput;
    private final WidePart widePart; // null: no wide part
    /** Per wide group (field or cross) weights, null unless {@code wide.field_gates}. */
    final FieldGates gates;
    /**
     * The FM term's weights, one per pair of deep fields, null unless {@code deep.interaction_gate}:
     * gates like the field gates (AdaGrad on the same loss, clamped to [0, 4], frozen at 1 for the
     * first {@link #INTERACTION_GATE_WARMUP} examples), so that pairs of fields that do not interact
     * are turned down instead of adding their noise to every score (see {@link DeepInput}).
     */
    final FieldGates interactionGate;
    static final long INTERACTION_GATE_WARMUP = 20_000;
    static final double INTERACTION_GATE_LEARNING_RATE = 0.2;
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
        this.numericFields = spec.numericFields();
        this.embeddings = new EmbeddingTable[spec.deepFields().length];
        this.gates = spec.fieldGates() && wide != null ? new FieldGates(spec.wideGroups(), spec.fieldGateLearningRate()) : null;
        for (int k = 0; k < embeddings.length; k++) {
            SparseRowOptimizer opt = trainable ? DeepOptimizers.rowOptimizer(spec) : null;
            embeddings[k] = new EmbeddingTable(spec.embeddingDims()[k], opt, spec.seed() * 31 + k, spec.minCount(),
                    spec.embeddingExpireAfterMs() > 0, 1 << 10);
        }
        this.normalizer = new NumericNormalizer(numericFields.length);
        this.interactionGate = spec.interactionGate() ? new FieldGates(
                spec.deepFields().length * (spec.deepFields().length - 1) / 2, INTERACTION_GATE_LEARNING_RATE) : null;
        this.deepInput = new DeepInput(spec, embeddings, normalizer, interactionGate);
        this.widePart = wide == null ? null : new WidePart(wide, gates, spec.wideUnknownValues());
        this.mlp = spec.hasDeep()
                ? new Mlp(spec.deepInputWidth(), spec.crossLayers(), spec.hidden(), spec.activation(), spec.dropout(),
                        spec.normalization() == FeatureSpec.Normalization.LAYER, dtype, trainable ? DeepOptimizers.denseOptimizer(spec) : null, spec.seed())
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

    /**
     * A weights-only copy of this model as it is now, sharing nothing with it, for encoding only: what
     * a serving snapshot holds, so that the snapshot can be encoded on another thread while this model
     * trains on ({@link ModelCodec#encodeFull} of the copy gives the same bytes as of this model). Its
     * tables keep the slot layout without the hash tables (the largest part, not needed to encode), so
     * the copy cannot score or train.
     */
    public WideDeepModel servingCopy() {
        WideDeepModel c = new WideDeepModel(spec, false, dtype);
        c.trainedExamples = trainedExamples;
        c.batches = batches;
        c.maxEventTime = maxEventTime;
        c.bias = bias;
        c.mixture.logOdds = mixture.logOdds;
        c.baseRate.copyFrom(baseRate);
        c.normalizer.count = normalizer.count;
        System.arraycopy(normalizer.mean, 0, c.normalizer.mean, 0, normalizer.mean.length);
        System.arraycopy(normalizer.m2, 0, c.normalizer.m2, 0, normalizer.m2.length);
        if (wide != null) c.wide.copyWeightsFrom(wide);
        if (gates != null) System.arraycopy(gates.gate, 0, c.gates.gate, 0, gates.gate.length);
        if (interactionGate != null) System.arraycopy(interactionGate.gate, 0, c.interactionGate.gate, 0, interactionGate.size());
        for (int k = 0; k < embeddings.length; k++) c.embeddings[k].copyRowsFrom(embeddings[k]);
        if (mlp != null) c.mlp.params.assign(mlp.params);
        return c;
    }

    /** An empty weights-only model, to be filled from a snapshot. */
    public static WideDeepModel forServing(FeatureSpec spec) {
        return new WideDeepModel(spec, false, DataType.FLOAT);
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
     * Runs the MLP's forward and backward passes on {@code backend} from now on ({@code device}: the
     * CUDA device, for torch-cuda). Weights, optimizer state and snapshots do not change: a model
     * trained on one backend continues on another.
     */
    public void useDenseBackend(DenseBackend backend, int device) {
        if (mlp == null) return;
        try {
            mlp.useBackend(backend, device);
        } catch (LinkageError e) {
            throw new IllegalStateException("dense backend " + backend.label() + " needs libtorch (org.bytedeco:pytorch "
                    + "and its natives), which this process cannot load (" + e + "): use the build that carries it "
                    + "(the GPU job jar, see docs/gpu.md) or the nd4j backend", e);
        }
    }

    public DenseBackend denseBackend() { return mlp == null ? DenseBackend.ND4J : mlp.backend(); }

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
    /** The FM term's learned weights, one per pair of deep fields (empty without {@code deep.interaction_gate}). */
    public float[] interactionGates() { return interactionGate == null ? new float[0] : interactionGate.gate.clone(); }
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
        final double[] pairDots; // [row * pairs + pair]: each pair of fields' inner product, when the FM term is gated

        Scratch(int capacity) {
            this.capacity = capacity;
            this.ws = mlp == null ? null : mlp.newWorkspace(capacity);
            this.logits = new double[capacity];
            this.groupSums = gates == null ? null : new float[capacity * gates.size()];
            this.pairDots = interactionGate == null ? null : new double[capacity * interactionGate.size()];
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
            out[r] = mixture.mix(LogisticLoss.sigmoid(s.logits[r]), counter);
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
        double loss = outputGradients(batch, s, pvOut);
        if (wide != null) widePart.backward(batch, s, dOut);
        if (mlp != null) {
            long t0 = System.nanoTime();
            if (parallel != null) {
                parallel.backward(s.ws, dOut);
            } else {
                mlp.backward(s.ws, dOut);
            }
            denseNanos += System.nanoTime() - t0;
            deepInput.backward(batch, s, dOut, s.ws.dInputHost, mlp.inputWidth());
        }
        return loss;
    }

    /** The loss's gradient at each row's logit into {@code dOut} (zero past the batch), and the batch's loss. */
    private double outputGradients(ExampleBatch batch, Scratch s, float[] pvOut) {
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
            float p = LogisticLoss.sigmoid(z);
            if (pvOut != null) {
                pvOut[r] = p;
            }
            loss += LogisticLoss.rowLoss(z, batch, r);
            float g = batch.isLateClick(r) ? -1f : p - batch.label(r);
            dOut[r] = g;
            biasGrad += g;
            biasGradSq += (double) g * g;
        }
        lastBiasGrad = biasGrad;
        lastBiasGradSq = biasGradSq;
        return loss;
    }

    private double lastBiasGrad;
    private double lastBiasGradSq;

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
        if (gates != null) gates.stepAfterWarmup(trainedExamples, spec.fieldGateWarmup());
        if (interactionGate != null) interactionGate.stepAfterWarmup(trainedExamples, INTERACTION_GATE_WARMUP);
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
            expiry.expire(this);
        }
    }

    /**
     * Measures expiry against {@code time} (the streaming job's watermark) from now on, instead of
     * the largest event time trained: one event with a wild timestamp must not expire every row.
     */
    public void setExpiryClock(long time) {
        expiry.useClock(time);
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
            loss += LogisticLoss.rowLoss(s.logits[r], batch, r);
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
        if (wide != null) widePart.forward(batch, s, training);
        if (mlp != null) {
            deepInput.gather(batch, s, mlp.inputWidth(), training);
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
            if (deepInput.fm) {
                deepInput.addPairwiseInteractions(s, n, mlp.inputWidth());
            }
        }
    }
}
