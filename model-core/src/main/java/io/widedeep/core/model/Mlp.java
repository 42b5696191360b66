package io.widedeep.core.model;

import io.widedeep.core.optim.DenseOptimizer;
import io.widedeep.core.spec.Activation;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The deep part's multi-layer perceptron (ReLU unless the spec picks another {@link Activation}), ending in one linear output unit (the deep logit).
 * All weights and biases are views into one flat parameter vector, and all gradients into one flat
 * gradient vector, so the optimizer updates everything with a single native op. Dense math runs per
 * mini-batch on ND4J (gemm), never per example: one ND4J call costs tens of microseconds.
 * Weights start at N(0, 1 / (3 fan_in)), the variance of PyTorch's default initialisation, and
 * biases at zero. He initialisation (N(0, 2 / fan_in)) started the deep logit as a random function
 * of the inputs with a spread of about one unit that the model first had to unlearn: 0.0008 worse
 * PV log loss on the Criteo-shaped stream. (A zero output layer, tried too, made the deep-only
 * variant die at learning rate 0.05.)
 *
 * <p><b>Cross layers</b> (DCN-v2: Wang et al., "DCN V2: Improved Deep &amp; Cross Network and Practical
 * Lessons for Web-scale Learning to Rank Systems", WWW 2021, stacked structure). The first
 * {@code crossLayers} layers compute {@code x_{l+1} = x_0 * (x_l W_l + b_l) + x_l} (element-wise
 * product with the input x_0, full-rank W_l of the input's width), explicit bounded-degree feature
 * crosses that the MLP above them builds on. They are layers of this network like the others: their
 * weights live in the same flat vector, so the optimizer, clipping, snapshots and deltas carry them.
 */
final class Mlp {
    final int[] sizes; // input, one input-wide size per cross layer, hidden..., 1
    final int crossLayers;
    final DataType dtype;
    final INDArray params;
    /** The flat gradient of the last backward pass (a data-parallel all-reduce sums it across ranks). */
    final INDArray grads;
    private final INDArray[] w;
    private final INDArray[] b;
    private final INDArray[] gw;
    private final INDArray[] gb;
    final DenseOptimizer optimizer;

    final Activation activation;
    /**
     * Dropout rate of the hidden layers' outputs in training (Srivastava et al., JMLR 2014), inverted:
     * kept units are scaled by 1/(1-rate), so scoring uses the weights as they are. 0: off.
     */
    final double dropout;
    private final long seed;
    private TorchMath torch; // null: the ND4J path
    /**
     * {@link LayerNorm} on each hidden layer's pre-activations (before its activation); its gains and
     * shifts follow the layer's bias in the flat vector. Offsets of each layer's gains (-1: none).
     */
    final boolean layerNorm;
    private final int[] gammaOffset;

    Mlp(int inputWidth, int crossLayers, int[] hidden, Activation activation, double dropout, DataType dtype,
        DenseOptimizer optimizer, long seed) {
        this(inputWidth, crossLayers, hidden, activation, dropout, false, dtype, optimizer, seed);
    }

    Mlp(int inputWidth, int crossLayers, int[] hidden, Activation activation, double dropout, boolean layerNorm,
        DataType dtype, DenseOptimizer optimizer, long seed) {
        this.layerNorm = layerNorm;
        this.activation = activation;
        this.dropout = dropout;
        this.seed = seed;
        this.crossLayers = crossLayers;
        this.sizes = new int[crossLayers + hidden.length + 2];
        Arrays.fill(sizes, 0, crossLayers + 1, inputWidth);
        System.arraycopy(hidden, 0, sizes, crossLayers + 1, hidden.length);
        sizes[sizes.length - 1] = 1;
        this.dtype = dtype;
        int layers = sizes.length - 1;
        this.gammaOffset = new int[layers];
        long total = 0;
        for (int l = 0; l < layers; l++) {
            total += (long) sizes[l] * sizes[l + 1] + sizes[l + 1];
            gammaOffset[l] = -1;
            if (layerNorm && normalised(l)) {
                gammaOffset[l] = (int) total;
                total += 2L * sizes[l + 1]; // gains, then shifts
            }
        }
        double[] init = new double[(int) total];
        SplittableRandom rnd = new SplittableRandom(seed);
        int off = 0;
        for (int l = 0; l < layers; l++) {
            double std = 1 / Math.sqrt(3.0 * sizes[l]);
            for (int i = 0; i < sizes[l] * sizes[l + 1]; i++) {
                init[off++] = rnd.nextGaussian() * std;
            }
            off += sizes[l + 1];
            if (gammaOffset[l] >= 0) {
                Arrays.fill(init, off, off + sizes[l + 1], 1.0); // gains start at 1, shifts at 0
                off += 2 * sizes[l + 1];
            }
        }
        this.params = Nd4j.createFromArray(init).castTo(dtype).reshape(1, total);
        this.grads = Nd4j.zeros(dtype, 1, total);
        this.w = new INDArray[layers];
        this.b = new INDArray[layers];
        this.gw = new INDArray[layers];
        this.gb = new INDArray[layers];
        long o = 0;
        for (int l = 0; l < layers; l++) {
            long nw = (long) sizes[l] * sizes[l + 1];
            w[l] = params.get(NDArrayIndex.point(0), NDArrayIndex.interval(o, o + nw)).reshape('c', sizes[l], sizes[l + 1]);
            gw[l] = grads.get(NDArrayIndex.point(0), NDArrayIndex.interval(o, o + nw)).reshape('c', sizes[l], sizes[l + 1]);
            o += nw;
            b[l] = params.get(NDArrayIndex.point(0), NDArrayIndex.interval(o, o + sizes[l + 1])).reshape('c', 1, sizes[l + 1]);
            gb[l] = grads.get(NDArrayIndex.point(0), NDArrayIndex.interval(o, o + sizes[l + 1])).reshape('c', 1, sizes[l + 1]);
            o += sizes[l + 1];
            if (gammaOffset[l] >= 0) o += 2L * sizes[l + 1];
        }
        paramView = HostArrays.view(params);
        gradBuffer = HostArrays.view(grads);
        weightViews = new FloatBuffer[layers];
        biasViews = new FloatBuffer[layers];
        gradView = dtype == DataType.FLOAT ? grads.data().asNioFloat() : null;
        if (dtype == DataType.FLOAT) {
            FloatBuffer all = params.data().asNioFloat();
            int at = 0;
            for (int l = 0; l < layers; l++) {
                weightViews[l] = all.duplicate().position(at).slice();
                at += sizes[l] * sizes[l + 1];
                biasViews[l] = all.duplicate().position(at).slice();
                at += sizes[l + 1];
                if (gammaOffset[l] >= 0) at += 2 * sizes[l + 1];
            }
        }
        this.optimizer = optimizer;
        if (optimizer != null) {
            optimizer.initialise(params);
        }
    }

    int inputWidth() {
        return sizes[0];
    }

    /** Whether layer l is a hidden layer (not a cross layer, not the output unit): the layers normalisation applies to. */
    private boolean normalised(int l) {
        return l >= crossLayers && l < sizes.length - 2;
    }

    /** Flat index of layer l's first gain (its shifts follow), or -1 without layer normalisation there. */
    int gammaOffset(int l) {
        return gammaOffset[l];
    }

    private final Buffer paramView; // host views of params and grads, made once
    private final Buffer gradBuffer;

    /**
     * Runs the forward and backward passes on {@code backend} from now on ({@code device}: the CUDA
     * device's index). The parameters and the optimizer stay where they are, so nothing else changes.
     */
    void useBackend(DenseBackend backend, int device) {
        this.torch = backend.torch() ? new TorchMath(this, backend == DenseBackend.TORCH_CUDA, device) : null;
    }

    DenseBackend backend() {
        return torch == null ? DenseBackend.ND4J : torch.backend();
    }

    /** libtorch on the CPU through the CUDA path's copies (a parameter mirror, copies at every boundary): tests of that path. */
    void useTorchMirroredOnCpu() {
        this.torch = new TorchMath(this, false, true, 0);
    }

    long numParams() {
        return params.length();
    }

    /** No NaN or infinity among the weights: their sum is finite exactly then (short of absurd magnitudes). */
    boolean paramsFinite() {
        return Double.isFinite(params.sumNumber().doubleValue());
    }

    /** Buffers of one forward/backward pass over up to {@code capacity} rows. One per thread. */
    final class Workspace {
        final int capacity;
        final INDArray[] acts; // acts[0] = input, acts[l+1] = output of layer l
        final INDArray[] deltas; // deltas[l] = dLoss/d(pre-activation of layer l)
        final INDArray[] pre; // cross layers: x_l W_l + b_l; hidden layers: pre-activations (for activations other than ReLU)
        final INDArray[] masks; // training-only dropout masks of the hidden layers (0 or 1/(1-rate))
        final INDArray dInput;
        final INDArray ones;
        final float[] input; // host copy of the input, row-major [capacity, inputWidth]
        final double[] out; // deep logits, in double so that gradient checks see every bit
        final float[] dInputHost;
        final float[] hostActivations; // inference: one layer's activations on the heap
        final float[] hostBias;
        final float[] hostCross; // inference: the cross layers' output x_l on the heap
        final INDArray crossTmp; // backward through the cross layers: one input-wide temporary
        final INDArray crossDx0; // ... and the gradient reaching x_0 through their products
        // NIO views of the transfer buffers, made once: every data().asNio*() call allocates
        // JavaCPP pointers whose reference processing lengthens young GC pauses.
        final Buffer inputView;
        final Buffer outView;
        final Buffer deltaOutView;
        final Buffer dInputView;
        final FloatBuffer[] actViews; // float32 only: the inference path writes activations through these
        Object torchBuffers; // the torch backend's tensors for this workspace (typed there: libtorch is optional)
        // layer normalisation: per layer, each value's normalised form and each row's 1/sigma (training);
        // one layer's rows in double, and a layer's gains and shifts (and their gradients)
        final double[][] normed;
        final double[][] invStd;
        final double[] rowsHost;
        final double[] gamma;
        final double[] beta;
        final double[] dGamma;
        final double[] dBeta;
        final Buffer[] actBuffers;
        final Buffer[] deltaBuffers;

        Workspace(int capacity) {
            this.capacity = capacity;
            int layers = sizes.length - 1;
            acts = new INDArray[layers + 1];
            deltas = new INDArray[layers];
            for (int l = 0; l <= layers; l++) {
                acts[l] = Nd4j.zeros(dtype, capacity, sizes[l]);
            }
            pre = new INDArray[layers];
            masks = new INDArray[layers];
            for (int l = 0; l < layers; l++) {
                deltas[l] = Nd4j.zeros(dtype, capacity, sizes[l + 1]);
                boolean hidden = l >= crossLayers && l < layers - 1;
                if (l < crossLayers || (activation != Activation.RELU && hidden)) pre[l] = Nd4j.zeros(dtype, capacity, sizes[l + 1]);
                if (dropout > 0 && hidden) masks[l] = Nd4j.zeros(dtype, capacity, sizes[l + 1]);
            }
            dInput = Nd4j.zeros(dtype, capacity, sizes[0]);
            ones = Nd4j.ones(dtype, 1, capacity);
            input = new float[capacity * sizes[0]];
            out = new double[capacity];
            dInputHost = new float[capacity * sizes[0]];
            int widest = 0;
            for (int l = 1; l < sizes.length; l++) widest = Math.max(widest, sizes[l]);
            hostActivations = new float[capacity * widest];
            hostBias = new float[widest];
            hostCross = crossLayers > 0 ? new float[capacity * sizes[0]] : null;
            crossTmp = crossLayers > 0 ? Nd4j.zeros(dtype, capacity, sizes[0]) : null;
            crossDx0 = crossLayers > 0 ? Nd4j.zeros(dtype, capacity, sizes[0]) : null;
            inputView = HostArrays.view(acts[0]);
            outView = HostArrays.view(acts[layers]);
            deltaOutView = HostArrays.view(deltas[layers - 1]);
            dInputView = HostArrays.view(dInput);
            actViews = new FloatBuffer[layers + 1];
            if (dtype == DataType.FLOAT) {
                for (int l = 0; l <= layers; l++) actViews[l] = (FloatBuffer) HostArrays.view(acts[l]);
            }
            normed = new double[layers][];
            invStd = new double[layers][];
            actBuffers = new Buffer[layers + 1];
            deltaBuffers = new Buffer[layers];
            for (int l = 0; l < layers && layerNorm; l++) {
                if (gammaOffset[l] < 0) continue;
                normed[l] = new double[capacity * sizes[l + 1]];
                invStd[l] = new double[capacity];
                actBuffers[l + 1] = HostArrays.view(acts[l + 1]);
                deltaBuffers[l] = HostArrays.view(deltas[l]);
            }
            rowsHost = layerNorm ? new double[capacity * widest] : null;
            gamma = layerNorm ? new double[widest] : null;
            beta = layerNorm ? new double[widest] : null;
            dGamma = layerNorm ? new double[widest] : null;
            dBeta = layerNorm ? new double[widest] : null;
        }
    }

    Workspace newWorkspace(int capacity) {
        return new Workspace(capacity);
    }

    private final FloatBuffer gradView; // float32 view of grads, made once; null for float64
    private final FloatBuffer[] weightViews; // float32 views of w[l] and b[l] in params, made once
    private final FloatBuffer[] biasViews;

    /**
     * {@link #forward} for scoring only, in float32, over the first {@code rows} rows: the same
     * row-major sgemm (OpenBLAS, the library ND4J calls) on buffers whose pointers were made once, and
     * bias and ReLU on a heap copy of each layer, so a request allocates no ND4J op objects (they were
     * ~80 KB of garbage per 100-row request).
     */
    void infer(Workspace ws, int rows) {
        if (dtype != DataType.FLOAT || torch != null) {
            forward(ws);
            return;
        }
        int layers = sizes.length - 1;
        HostArrays.write(ws.inputView, ws.input, rows * sizes[0], dtype);
        float[] host = ws.hostActivations;
        for (int l = 0; l < layers; l++) {
            int in = sizes[l], outWidth = sizes[l + 1], n = rows * outWidth;
            FloatBuffer a = ws.actViews[l + 1];
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                    openblas_nolapack.CblasNoTrans, rows, outWidth, in, 1f, ws.actViews[l], in, weightViews[l], outWidth,
                    0f, a, outWidth);
            // bias and ReLU on a heap copy: two bulk copies beat a bounds-checked get/put per element
            a.get(0, host, 0, n);
            float[] bias = ws.hostBias;
            biasViews[l].get(0, bias, 0, outWidth); // weights move with every update: read them each time
            if (l < crossLayers) {
                float[] x0 = ws.input, xl = l == 0 ? ws.input : ws.hostCross, x = ws.hostCross;
                for (int i = 0; i < n; i += outWidth) {
                    for (int j = 0; j < outWidth; j++) {
                        x[i + j] = x0[i + j] * (host[i + j] + bias[j]) + xl[i + j];
                    }
                }
                a.put(0, x, 0, n);
                continue;
            }
            boolean hidden = l < layers - 1;
            if (gammaOffset[l] >= 0) {
                HostArrays.addBiasAndActivate(host, bias, n, outWidth, null);
                normaliseHost(ws, l, host, rows);
                HostArrays.activate(host, n, activation);
            } else {
                HostArrays.addBiasAndActivate(host, bias, n, outWidth, hidden ? activation : null);
            }
            if (hidden) a.put(0, host, 0, n);
        }
        for (int i = 0; i < rows; i++) {
            ws.out[i] = host[i]; // the last layer has width 1
        }
    }

    /** Runs the network on {@code ws.input} without dropout; the deep logits land in {@code ws.out}. */
    void forward(Workspace ws) {
        forward(ws, -1);
    }

    /**
     * Runs the network on {@code ws.input}; the deep logits land in {@code ws.out}. With
     * {@code step >= 0} and a dropout rate, hidden outputs are dropped with masks drawn from
     * (seed, step): the same step draws the same masks, so a restored model continues bit-identically.
     */
    void forward(Workspace ws, long step) {
        HostArrays.write(ws.inputView, ws.input, ws.input.length, dtype);
        if (torch != null) {
            torch.forward(ws, step);
        } else {
            forwardNd4j(ws, step);
        }
        if (dtype == DataType.FLOAT) {
            FloatBuffer fb = (FloatBuffer) ws.outView;
            for (int i = 0; i < ws.capacity; i++) {
                ws.out[i] = fb.get(i);
            }
        } else {
            ((DoubleBuffer) ws.outView).get(0, ws.out, 0, ws.capacity);
        }
    }

    /** Dropout masks come from (seed, step, layer): the same step draws the same masks on every backend and after a restore. */
    void drawMask(INDArray mask, long step, int layer) {
        HostArrays.drawMask(mask, dtype, dropout, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 31 + layer));
    }

    private void forwardNd4j(Workspace ws, long step) {
        int layers = sizes.length - 1;
        for (int l = 0; l < layers; l++) {
            INDArray a = ws.acts[l + 1];
            if (l < crossLayers) {
                INDArray u = ws.pre[l];
                Nd4j.gemm(ws.acts[l], w[l], u, false, false, 1.0, 0.0);
                u.addiRowVector(b[l]);
                a.assign(u).muli(ws.acts[0]).addi(ws.acts[l]); // x_{l+1} = x_0 * u + x_l
                continue;
            }
            Nd4j.gemm(ws.acts[l], w[l], a, false, false, 1.0, 0.0);
            a.addiRowVector(b[l]);
            if (gammaOffset[l] >= 0) normaliseTraining(ws, l);
            if (l < layers - 1) {
                if (activation == Activation.RELU) {
                    Nd4j.exec(new RectifiedLinear(a, a));
                } else {
                    ws.pre[l].assign(a);
                    HostArrays.apply(a, dtype, activation);
                }
                if (dropout > 0 && step >= 0) {
                    drawMask(ws.masks[l], step, l);
                    a.muli(ws.masks[l]);
                }
            }
        }
    }

    /**
     * Back-propagates {@code dOut} (dLoss/d deep logit per row; zero for padding rows) from the last
     * {@link #forward}: fills the flat gradient vector and {@code ws.dInputHost}.
     */
    void backward(Workspace ws, float[] dOut) {
        HostArrays.write(ws.deltaOutView, dOut, ws.capacity, dtype);
        if (torch != null) {
            torch.backward(ws);
        } else {
            backwardNd4j(ws);
        }
        HostArrays.read(ws.dInputView, ws.dInputHost, ws.dInputHost.length, dtype);
    }

    private void backwardNd4j(Workspace ws) {
        int layers = sizes.length - 1;
        for (int l = layers - 1; l >= 0; l--) {
            INDArray d = ws.deltas[l];
            INDArray prev = l == 0 ? ws.dInput : ws.deltas[l - 1];
            if (l < crossLayers) {
                backwardCross(ws, l, d, prev);
                continue;
            }
            Nd4j.gemm(ws.acts[l], d, gw[l], true, false, 1.0, 0.0);
            Nd4j.gemm(ws.ones, d, gb[l], false, false, 1.0, 0.0);
            Nd4j.gemm(d, w[l], prev, false, true, 1.0, 0.0);
            if (l > crossLayers) { // the layer below is a hidden layer (a cross layer has no activation)
                if (dropout > 0) {
                    prev.muli(ws.masks[l - 1]); // a dropped unit passed nothing on, so it gets no gradient
                }
                if (activation == Activation.RELU) {
                    // ReLU: the gradient passes where the layer's output was positive.
                    Nd4j.exec(new RectifiedLinearDerivative(ws.acts[l], prev, prev));
                } else {
                    HostArrays.multiplyByDerivative(prev, ws.pre[l - 1], dtype, activation);
                }
                if (gammaOffset[l - 1] >= 0) backNormalise(ws, l - 1);
            }
        }
        if (crossLayers > 0) {
            ws.dInput.addi(ws.crossDx0);
        }
    }

    /**
     * Cross layer l, given {@code d} = dLoss/dx_{l+1}: with u = x_l W + b and x_{l+1} = x_0 * u + x_l,
     * dLoss/du = d * x_0 gives W's and b's gradients, dLoss/dx_l = d + (d * x_0) W^T goes to
     * {@code prev}, and d * u is what x_0 receives through the product (summed over the cross layers
     * in {@code crossDx0}, added to the input's gradient at the end).
     */
    private void backwardCross(Workspace ws, int l, INDArray d, INDArray prev) {
        INDArray du = ws.crossTmp.assign(d).muli(ws.acts[0]);
        Nd4j.gemm(ws.acts[l], du, gw[l], true, false, 1.0, 0.0);
        Nd4j.gemm(ws.ones, du, gb[l], false, false, 1.0, 0.0);
        prev.assign(d);
        Nd4j.gemm(du, w[l], prev, false, true, 1.0, 1.0);
        INDArray viaProduct = ws.crossTmp.assign(d).muli(ws.pre[l]);
        if (l == crossLayers - 1) {
            ws.crossDx0.assign(viaProduct);
        } else {
            ws.crossDx0.addi(viaProduct);
        }
    }




    /** Layer l's normalisation in a training forward: on the layer's output in place, keeping what {@link #backNormalise} needs. */
    private void normaliseTraining(Workspace ws, int l) {
        int n = ws.capacity * sizes[l + 1];
        HostArrays.readDoubles(ws.actBuffers[l + 1], ws.rowsHost, n);
        readGains(ws, l);
        LayerNorm.forward(ws.rowsHost, ws.capacity, sizes[l + 1], ws.gamma, ws.beta, ws.normed[l], ws.invStd[l]);
        HostArrays.writeDoubles(ws.actBuffers[l + 1], ws.rowsHost, n);
    }

    /** Layer l's normalisation when scoring, on float rows on the heap: the same arithmetic as training's. */
    private void normaliseHost(Workspace ws, int l, float[] host, int rows) {
        int n = rows * sizes[l + 1];
        for (int i = 0; i < n; i++) ws.rowsHost[i] = host[i];
        readGains(ws, l);
        LayerNorm.forward(ws.rowsHost, rows, sizes[l + 1], ws.gamma, ws.beta, null, null);
        for (int i = 0; i < n; i++) host[i] = (float) ws.rowsHost[i];
    }

    /** Backwards through layer l's normalisation: deltas[l] from dLoss/dz to dLoss/dh, and the gains' and shifts' gradients. */
    private void backNormalise(Workspace ws, int l) {
        int width = sizes[l + 1], n = ws.capacity * width;
        HostArrays.readDoubles(ws.deltaBuffers[l], ws.rowsHost, n);
        readGains(ws, l);
        LayerNorm.backward(ws.rowsHost, ws.capacity, width, ws.gamma, ws.normed[l], ws.invStd[l], ws.dGamma, ws.dBeta);
        HostArrays.writeDoubles(ws.deltaBuffers[l], ws.rowsHost, n);
        int g = gammaOffset[l];
        for (int j = 0; j < width; j++) {
            HostArrays.putDouble(gradBuffer, g + j, ws.dGamma[j]);
            HostArrays.putDouble(gradBuffer, g + width + j, ws.dBeta[j]);
        }
    }

    private void readGains(Workspace ws, int l) {
        int g = gammaOffset[l], width = sizes[l + 1];
        for (int j = 0; j < width; j++) {
            ws.gamma[j] = HostArrays.getDouble(paramView, g + j);
            ws.beta[j] = HostArrays.getDouble(paramView, g + width + j);
        }
    }

    void step() {
        optimizer.step(params, grads);
    }

    /**
     * Gradient clipping by norm (Pascanu, Mikolov and Bengio, ICML 2013): if the L2 norm of the whole
     * MLP gradient (every weight and bias of the last backward pass) exceeds {@code maxNorm}, the
     * gradient is scaled down to that norm, keeping its direction. Returns the norm before clipping.
     */
    double clipGradients(double maxNorm) {
        double norm = gradientNorm();
        if (norm > maxNorm) {
            grads.muli(maxNorm / norm);
        }
        return norm;
    }

    /** The flat gradient's L2 norm: on the heap for float32 (an ND4J reduction per step cost a tenth of a step). */
    double gradientNorm() {
        if (gradView == null) return grads.norm2Number().doubleValue();
        double sum = 0;
        for (int i = 0, n = gradView.limit(); i < n; i++) {
            float g = gradView.get(i);
            sum += (double) g * g;
        }
        return Math.sqrt(sum);
    }


    /** Gradient of one parameter (layer, flat index within its weight matrix or bias). */
    double weightGrad(int layer, long i) {
        return gw[layer].getDouble(i / sizes[layer + 1], i % sizes[layer + 1]);
    }

    double biasGrad(int layer, int j) {
        return gb[layer].getDouble(0, j);
    }

    INDArray weights(int layer) {
        return w[layer];
    }

    INDArray biases(int layer) {
        return b[layer];
    }
}
