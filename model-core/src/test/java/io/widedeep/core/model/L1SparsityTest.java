package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.spec.FeatureSpec;
import org.junit.jupiter.api.Test;

class L1SparsityTest {
    @Test
    void strongL1LeavesMostWideWeightsExactlyZero() {
        FeatureSpec weak = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"l1\": 0.5", "\"l1\": 0.0"));
        FeatureSpec strong = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"l1\": 0.5", "\"l1\": 25.0"));
        WideDeepModel a = WideDeepModel.create(weak.variant("wide"));
        WideDeepModel b = WideDeepModel.create(strong.variant("wide"));
        for (int i = 0; i < 50; i++) {
            a.trainBatch(TestData.batch(weak, 16, i), null);
            b.trainBatch(TestData.batch(strong, 16, i), null);
        }
        assertTrue(a.wideNonZero() == a.wideSize(), "without L1 every touched weight moves: " + a.wideNonZero() + "/" + a.wideSize());
        assertTrue(b.wideNonZero() < b.wideSize() / 5, "with L1 most stay zero: " + b.wideNonZero() + "/" + b.wideSize());
    }
}
