package io.widedeep.core.model;

/**
 * Every gradient check of {@link GradientCheckTest} through the torch-cuda path's copies (parameters
 * mirrored and uploaded before each pass, batch and gradients copied across), with the "device" on
 * the CPU: the checks perturb the host's weights, so a stale mirror would fail them.
 */
class TorchMirroredGradientCheckTest extends GradientCheckTest {
    @Override
    DenseBackend backend() {
        return DenseBackend.TORCH_CPU;
    }

    @Override
    void placeDense(WideDeepModel m) {
        m.mlp.useTorchMirroredOnCpu();
    }
}
