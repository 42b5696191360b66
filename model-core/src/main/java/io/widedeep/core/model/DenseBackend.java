package io.widedeep.core.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where the MLP's forward and backward pass run. The parameters, the optimizer's state and its step
 * stay in one place whatever the backend (host arrays, ND4J), so initialisation, optimizer semantics,
 * gradient clipping, the data-parallel all-reduce and the snapshot format are the same: a model
 * trained on one backend continues on another ({@link WideDeepModel#useDenseBackend}).
 */
public enum DenseBackend {
    /** ND4J on the CPU (OpenBLAS gemm): the default, and what servers score with. */
    ND4J("nd4j"),
    /** libtorch through JavaCPP on the CPU: the GPU path's code, checked where there is no GPU. */
    TORCH_CPU("torch-cpu"),
    /** libtorch on a CUDA device: parameters mirrored on the device, the optimizer on the host. */
    TORCH_CUDA("torch-cuda");

    private final String label;

    DenseBackend(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public boolean torch() {
        return this != ND4J;
    }

    /** The backend named {@code label} (nd4j, torch-cpu, torch-cuda). */
    public static DenseBackend of(String label) {
        String l = label.toLowerCase(Locale.ROOT);
        for (DenseBackend b : values()) {
            if (b.label.equals(l)) return b;
        }
        throw new IllegalArgumentException("unknown dense backend '" + label + "': one of "
                + Arrays.stream(values()).map(DenseBackend::label).toList());
    }

    /**
     * CUDA devices libtorch can use in this process: 0 where there is none, where only the CPU natives
     * are on the classpath, or where libtorch itself is missing (then the reason is in {@code why}).
     */
    public static int cudaDevices(StringBuilder why) {
        try {
            int n = TorchMath.cudaDevices();
            if (n == 0) why.append("libtorch sees no CUDA device (CPU natives only, no driver, or no GPU)");
            return n;
        } catch (LinkageError e) {
            why.append("libtorch cannot be loaded: ").append(e);
            return 0;
        }
    }

    /** The labels, for an option's range: nd4j|torch-cpu|torch-cuda. */
    public static String labels() {
        return String.join("|", Arrays.stream(values()).map(DenseBackend::label).toList());
    }
}
