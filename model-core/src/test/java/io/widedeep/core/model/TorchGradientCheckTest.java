package io.widedeep.core.model;

/**
 * Every gradient check of {@link GradientCheckTest} (joint model, late clicks, field gates, FM, cross
 * layers, every activation, dropout, clipping) with the MLP's passes on libtorch (CPU).
 */
class TorchGradientCheckTest extends GradientCheckTest {
    @Override
    DenseBackend backend() {
        return DenseBackend.TORCH_CPU;
    }
}
