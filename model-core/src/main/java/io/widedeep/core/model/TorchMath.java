package io.widedeep.core.model;

import io.widedeep.core.spec.Activation;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@link Mlp}'s forward and backward pass on libtorch (PyTorch's C++ library, through JavaCPP's
 * presets), on the CPU or on one CUDA device: the same layer math as the ND4J path, op for op
 * (gemm into preallocated outputs, bias broadcast, ReLU and its mask, DCN-v2 cross layers, inverted
 * dropout with the masks the ND4J path draws).
 *
 * <p><b>One home for the parameters.</b> The flat parameter and gradient vectors stay the ND4J
 * arrays the optimizer, clipping, the data-parallel all-reduce and snapshots use. On the CPU the
 * tensors are views of those buffers and of the workspace's (no copy at all). On CUDA the device
 * holds a mirror: the parameters go up before each forward pass (a perturbed or restored weight is
 * never stale), the batch goes up, the logits, the input gradient and the parameter gradient come
 * back; the optimizer then steps on the host, so its semantics are the ND4J ones bit for bit.
 * Activations other than ReLU run element-wise on the host arrays as in the ND4J path (through a
 * copy on CUDA).
 *
 * <p>This is the only class that names libtorch: the dependency is optional, and a build without it
 * fails here, when a torch backend is asked for, not before.
 */
final class TorchMath {
    private final Mlp mlp;
    private final DenseBackend backend;
    /** Tensors apart from the host arrays, copied at the boundaries: on CUDA, and in the tests that check that path on the CPU. */
    private final boolean mirrored;
    private final TensorOptions options;
    private final TensorOptions host;
    private final Tensor hostParams;
    private final Tensor hostGrads;
    private final Tensor params;
    private final Tensor grads;
    private final Tensor[] w;
    private final Tensor[] wT;
    private final Tensor[] b;
    private final Tensor[] gw;
    private final Tensor[] gb;
    private final Scalar zero = new Scalar(0.0);

    /** Workspace tensors: views of the ND4J workspace on the CPU, device buffers on CUDA. */
    private final class Buffers {
        final Tensor[] acts;
        final Tensor[] actsT;
        final Tensor[] deltas;
        final Tensor[] pre;
        final Tensor[] masks;
        final Tensor dInput;
        final Tensor ones;
        final Tensor crossTmp;
        final Tensor crossDx0;

        Buffers(Mlp.Workspace ws) {
            int layers = mlp.sizes.length - 1;
            acts = new Tensor[layers + 1];
            actsT = new Tensor[layers + 1];
            for (int l = 0; l <= layers; l++) {
                acts[l] = onDevice(ws.acts[l]);
                actsT[l] = acts[l].t();
            }
            deltas = new Tensor[layers];
            pre = new Tensor[layers];
            masks = new Tensor[layers];
            for (int l = 0; l < layers; l++) {
                deltas[l] = onDevice(ws.deltas[l]);
                if (ws.pre[l] != null) pre[l] = onDevice(ws.pre[l]);
                if (ws.masks[l] != null) masks[l] = onDevice(ws.masks[l]);
            }
            dInput = onDevice(ws.dInput);
            ones = onDevice(ws.ones);
            crossTmp = ws.crossTmp == null ? null : onDevice(ws.crossTmp);
            crossDx0 = ws.crossDx0 == null ? null : onDevice(ws.crossDx0);
            if (mirrored) ones.fill_(new Scalar(1.0));
        }
    }

    TorchMath(Mlp mlp, boolean cuda, int device) {
        this(mlp, cuda, cuda, device);
    }

    /** {@code mirrored} without {@code cuda}: the CUDA path's copies, with the copies on the CPU. */
    TorchMath(Mlp mlp, boolean cuda, boolean mirrored, int device) {
        if (mlp.layerNorm) {
            throw new IllegalArgumentException("deep.normalization \"layer\" runs on the nd4j backend only, not on libtorch");
        }
        this.mlp = mlp;
        this.backend = cuda ? DenseBackend.TORCH_CUDA : DenseBackend.TORCH_CPU;
        this.mirrored = mirrored;
        torch.ScalarType type = mlp.dtype == DataType.DOUBLE ? torch.ScalarType.Double : torch.ScalarType.Float;
        this.host = new TensorOptions(type);
        if (cuda) {
            int devices = cudaDevices();
            if (devices == 0) {
                throw new IllegalStateException("dense backend torch-cuda: libtorch sees no CUDA device (is this the GPU "
                        + "build, with a driver for CUDA 13, and is a GPU visible to this process?)");
            }
            if (device < 0) throw new IllegalArgumentException("dense backend torch-cuda: device " + device);
            // more trainers than devices share them round-robin
            this.options = new TensorOptions(type).device(new DeviceOptional(new Device(torch.DeviceType.CUDA, (byte) (device % devices))));
        } else {
            this.options = host;
        }
        hostParams = view(mlp.params);
        hostGrads = view(mlp.grads);
        params = mirrored ? hostParams.to(options, false, true, new org.bytedeco.pytorch.MemoryFormatOptional()) : hostParams;
        grads = mirrored ? torch.zeros(mlp.grads.shape(), options) : hostGrads;
        int layers = mlp.sizes.length - 1;
        w = new Tensor[layers];
        wT = new Tensor[layers];
        b = new Tensor[layers];
        gw = new Tensor[layers];
        gb = new Tensor[layers];
        long o = 0;
        Tensor flatParams = params.reshape(-1);
        Tensor flatGrads = grads.reshape(-1);
        for (int l = 0; l < layers; l++) {
            int in = mlp.sizes[l], out = mlp.sizes[l + 1];
            long nw = (long) in * out;
            w[l] = flatParams.narrow(0, o, nw).reshape(in, out);
            wT[l] = w[l].t();
            gw[l] = flatGrads.narrow(0, o, nw).reshape(in, out);
            o += nw;
            b[l] = flatParams.narrow(0, o, out).reshape(1, out);
            gb[l] = flatGrads.narrow(0, o, out).reshape(1, out);
            o += out;
        }
    }

    DenseBackend backend() {
        return backend;
    }

    /** CUDA devices libtorch sees (0 with the CPU natives, or without a driver or a device). */
    static int cudaDevices() {
        return torch.cuda_is_available() ? torch.cuda_device_count() : 0;
    }

    /** A tensor over an ND4J array's buffer, without copying. */
    private Tensor view(INDArray a) {
        if (a.offset() != 0 || !a.isR() || a.ordering() != 'c') {
            throw new IllegalStateException("a torch view needs a dense row-major array at offset 0");
        }
        Pointer p = a.data().addressPointer();
        return torch.from_blob(p, a.shape(), host);
    }

    /** The tensor the math runs on for a workspace array: its view on the CPU, a device buffer on CUDA. */
    private Tensor onDevice(INDArray a) {
        return mirrored ? torch.zeros(a.shape(), options) : view(a);
    }

    private Buffers buffers(Mlp.Workspace ws) {
        if (ws.torchBuffers == null) ws.torchBuffers = new Buffers(ws);
        return (Buffers) ws.torchBuffers;
    }

    /** {@link Mlp#forward(Mlp.Workspace, long)} after the input is in {@code ws.acts[0]}; the logits end in the host's last activation. */
    void forward(Mlp.Workspace ws, long step) {
        Buffers t = buffers(ws);
        try (PointerScope scope = new PointerScope()) {
            if (mirrored) {
                params.copy_(hostParams);
                t.acts[0].copy_(view(ws.acts[0]));
            }
            int layers = mlp.sizes.length - 1;
            for (int l = 0; l < layers; l++) {
                Tensor a = t.acts[l + 1];
                if (l < mlp.crossLayers) {
                    torch.addmm_out(t.pre[l], b[l], t.acts[l], w[l]); // u = x_l W + b
                    torch.mul_out(a, t.pre[l], t.acts[0]); // x_{l+1} = x_0 * u + x_l
                    a.add_(t.acts[l]);
                    continue;
                }
                torch.addmm_out(a, b[l], t.acts[l], w[l]);
                if (l == layers - 1) continue;
                if (mlp.activation == Activation.RELU) {
                    a.relu_();
                } else {
                    t.pre[l].copy_(a);
                    INDArray out = ws.acts[l + 1];
                    onHost(a, out, () -> HostArrays.apply(out, mlp.dtype, mlp.activation));
                }
                if (mlp.dropout > 0 && step >= 0) {
                    mlp.drawMask(ws.masks[l], step, l);
                    if (mirrored) t.masks[l].copy_(view(ws.masks[l]));
                    a.mul_(t.masks[l]);
                }
            }
            if (mirrored) view(ws.acts[layers]).copy_(t.acts[layers]);
        }
    }

    /** {@link Mlp#backward} after dLoss/d logit is in the host's last delta; fills the host gradient and input gradient. */
    void backward(Mlp.Workspace ws) {
        Buffers t = buffers(ws);
        int layers = mlp.sizes.length - 1;
        try (PointerScope scope = new PointerScope()) {
            if (mirrored) t.deltas[layers - 1].copy_(view(ws.deltas[layers - 1]));
            for (int l = layers - 1; l >= 0; l--) {
                Tensor d = t.deltas[l];
                Tensor prev = l == 0 ? t.dInput : t.deltas[l - 1];
                if (l < mlp.crossLayers) {
                    backwardCross(t, l, d, prev);
                    continue;
                }
                torch.mm_out(gw[l], t.actsT[l], d);
                torch.mm_out(gb[l], t.ones, d);
                torch.mm_out(prev, d, wT[l]);
                if (l > mlp.crossLayers) {
                    if (mlp.dropout > 0) prev.mul_(t.masks[l - 1]);
                    if (mlp.activation == Activation.RELU) {
                        torch.threshold_backward_out(prev, prev, t.acts[l], zero); // passes where the output was positive
                    } else {
                        INDArray delta = ws.deltas[l - 1], pre = ws.pre[l - 1];
                        if (mirrored) view(pre).copy_(t.pre[l - 1]);
                        onHost(prev, delta, () -> HostArrays.multiplyByDerivative(delta, pre, mlp.dtype, mlp.activation));
                    }
                }
            }
            if (mlp.crossLayers > 0) t.dInput.add_(t.crossDx0);
            if (mirrored) {
                hostGrads.copy_(grads);
                view(ws.dInput).copy_(t.dInput);
            }
        }
    }

    /** Cross layer l backward, as {@code Mlp.backwardCross}. */
    private void backwardCross(Buffers t, int l, Tensor d, Tensor prev) {
        Tensor du = torch.mul_out(t.crossTmp, d, t.acts[0]);
        torch.mm_out(gw[l], t.actsT[l], du);
        torch.mm_out(gb[l], t.ones, du);
        prev.copy_(d);
        prev.addmm_(du, wT[l]);
        Tensor viaProduct = torch.mul_out(t.crossTmp, d, t.pre[l]);
        if (l == mlp.crossLayers - 1) {
            t.crossDx0.copy_(viaProduct);
        } else {
            t.crossDx0.add_(viaProduct);
        }
    }

    /** Runs {@code op} on the host array behind {@code device} (the same memory on the CPU; a round trip on CUDA). */
    private void onHost(Tensor device, INDArray hostArray, Runnable op) {
        if (!mirrored) {
            op.run();
            return;
        }
        Tensor h = view(hostArray);
        h.copy_(device);
        op.run();
        device.copy_(h);
    }
}
