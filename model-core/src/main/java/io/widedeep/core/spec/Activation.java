package io.widedeep.core.spec;

/**
 * The hidden layers' nonlinearity, chosen in the spec ({@code deep.activation}). Scalar forms, used
 * on the host by every path that is not plain ReLU (which runs as ND4J ops), so training and serving
 * apply exactly the same function.
 * <ul>
 *   <li>{@code RELU}: max(0, x) (Nair and Hinton 2010).</li>
 *   <li>{@code LEAKY_RELU}: x for x &gt; 0, else 0.01 x (Maas et al. 2013).</li>
 *   <li>{@code GELU}: x Φ(x) in the tanh form of Hendrycks and Gimpel 2016,
 *       0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).</li>
 *   <li>{@code SELU}: λ x for x &gt; 0, else λ α (eˣ − 1), with Klambauer et al.'s 2017 constants.</li>
 * </ul>
 */
public enum Activation {
    RELU, LEAKY_RELU, GELU, SELU;

    private static final double LEAK = 0.01;
    private static final double SELU_LAMBDA = 1.0507009873554805;
    private static final double SELU_ALPHA = 1.6732632423543772;
    private static final double GELU_C = Math.sqrt(2 / Math.PI);

    public double apply(double x) {
        return switch (this) {
            case RELU -> x > 0 ? x : 0;
            case LEAKY_RELU -> x > 0 ? x : LEAK * x;
            case GELU -> 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
            case SELU -> x > 0 ? SELU_LAMBDA * x : SELU_LAMBDA * SELU_ALPHA * (Math.exp(x) - 1);
        };
    }

    /** d apply(x) / dx at the pre-activation x. */
    public double derivative(double x) {
        return switch (this) {
            case RELU -> x > 0 ? 1 : 0;
            case LEAKY_RELU -> x > 0 ? 1 : LEAK;
            case GELU -> {
                double u = GELU_C * (x + 0.044715 * x * x * x);
                double t = Math.tanh(u);
                yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
            }
            case SELU -> x > 0 ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * Math.exp(x);
        };
    }
}
