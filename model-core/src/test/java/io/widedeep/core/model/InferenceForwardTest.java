package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.widedeep.core.TestData;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.spec.FeatureSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The scoring path (sgemm on NIO views) computes what the training forward (ND4J ops) computes. */
class InferenceForwardTest {

    @ParameterizedTest
    @ValueSource(strings = {"\"activation\":\"relu\"", "\"activation\":\"leaky_relu\"", "\"activation\":\"gelu\"",
            "\"activation\":\"selu\"", "\"interaction\":\"cross\",\"cross_layers\":2"})
    void predictMatchesTheTrainingForwardPass(String deepOption) throws Exception {
        FeatureSpec spec = FeatureSpec.parse(FeatureSpec.builtIn("criteo").json()
                .replace("\"hidden\":[256,128,64]", "\"hidden\":[256,128,64]," + deepOption));
        assertEquals(deepOption.contains("cross") ? 2 : 0, spec.crossLayers());
        WideDeepModel m = WideDeepModel.create(spec);
        for (int i = 0; i < 20; i++) m.trainBatch(TestData.batch(spec, 256, i), null);
        ExampleBatch batch = TestData.batch(spec, 256, 99);
        float[] scored = new float[256];
        m.predict(batch, m.newScratch(256), scored);
        float[] pv = new float[256];
        m.forwardBackward(batch, pv); // scores with the training forward, before any update
        double maxDiff = 0;
        for (int i = 0; i < 256; i++) maxDiff = Math.max(maxDiff, Math.abs(scored[i] - pv[i]));
        assertEquals(0, maxDiff, 1e-6, "largest difference " + maxDiff);
        // padding rows of a larger scratch stay harmless, and a served copy scores the same
        WideDeepModel served = ModelCodec.decodeFull(ModelCodec.encodeFull(m, false));
        float[] again = new float[1024];
        served.predict(batch, served.newScratch(1024), again);
        for (int i = 0; i < 256; i++) assertEquals(scored[i], again[i], 1e-6f);
    }
}
