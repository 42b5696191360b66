package io.widedeep.core.model;

import io.widedeep.core.optim.AdaGrad;
import io.widedeep.core.optim.Adam;
import io.widedeep.core.optim.AdamW;
import io.widedeep.core.optim.DenseOptimizer;
import io.widedeep.core.optim.RmsProp;
import io.widedeep.core.optim.SparseRowOptimizer;
import io.widedeep.core.spec.FeatureSpec;

/** The deep part's optimizers, as the spec names them. */
final class DeepOptimizers {
    private DeepOptimizers() {}

    static SparseRowOptimizer rowOptimizer(FeatureSpec spec) {
        FeatureSpec.DeepOptimizer o = spec.deepOptimizer();
        return switch (o.type()) {
            case ADAM -> new Adam(o.learningRate(), o.beta1(), o.beta2(), o.epsilon());
            case ADAMW -> new AdamW(o.learningRate(), o.beta1(), o.beta2(), o.epsilon(), o.weightDecay());
            case RMSPROP -> new RmsProp(o.learningRate(), o.rho(), o.epsilon());
            case ADAGRAD -> new AdaGrad(o.learningRate(), o.initialAccumulator(), o.epsilon());
        };
    }

    static DenseOptimizer denseOptimizer(FeatureSpec spec) {
        return (DenseOptimizer) rowOptimizer(spec);
    }
}
