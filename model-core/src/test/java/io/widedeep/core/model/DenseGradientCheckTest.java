package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.spec.FeatureSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The device check's gradient check passes on both CPU backends and fails when a gradient is wrong. */
class DenseGradientCheckTest {
    @ParameterizedTest
    @EnumSource(value = DenseBackend.class, names = {"ND4J", "TORCH_CPU"})
    void passesOnACorrectBackendAndCatchesAWrongGradient(DenseBackend backend) {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC);
        List<ExampleBatch> warmup = new ArrayList<>();
        for (int i = 0; i < 5; i++) warmup.add(TestData.batch(spec, 16, 100 + i));
        ExampleBatch probe = TestData.batch(spec, 16, 7);
        DenseGradientCheck.Result ok = DenseGradientCheck.run(spec, backend, 0, warmup, probe, 4);
        assertTrue(ok.passed() && ok.checked() >= 16, ok.toString());

        DenseGradientCheck.Result skewed = DenseGradientCheck.run(spec, backend, 0, warmup, probe, 4, 1.01);
        assertFalse(skewed.passed(), "a gradient 1% off is caught: " + skewed);

        FeatureSpec withDropout = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"dropout\": 0.2"));
        DenseGradientCheck.Result dropout = DenseGradientCheck.run(withDropout, backend, 0, warmup, probe, 4);
        assertTrue(dropout.passed(), "dropout: compared on the step's own masks " + dropout);

        if (backend == DenseBackend.ND4J) {
            FeatureSpec layerNorm = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"normalization\": \"layer\""));
            DenseGradientCheck.Result normalised = DenseGradientCheck.run(layerNorm, backend, 0, warmup, probe, 4);
            assertTrue(normalised.passed() && normalised.checked() > ok.checked(), "layer normalisation's gains and shifts too: " + normalised);
            assertFalse(DenseGradientCheck.run(layerNorm, backend, 0, warmup, probe, 4, 1.01).passed(), "and a wrong one is caught");
        }
    }
}
