package io.widedeep.core.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Each activation against values computed by hand from its paper's definition. */
class ActivationTest {
    @Test
    void valuesMatchTheDefinitions() {
        assertEquals(0.0, Activation.RELU.apply(-3), 0);
        assertEquals(2.5, Activation.RELU.apply(2.5), 0);
        assertEquals(-0.02, Activation.LEAKY_RELU.apply(-2), 1e-15);
        double lambda = 1.0507009873554805, alpha = 1.6732632423543772;
        assertEquals(lambda, Activation.SELU.apply(1), 1e-15);
        assertEquals(lambda * alpha * (Math.exp(-1) - 1), Activation.SELU.apply(-1), 1e-15);
        // GELU, tanh form: 0.5 * 1 * (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.841192
        assertEquals(0.841192, Activation.GELU.apply(1), 1e-6);
        assertEquals(-0.158808, Activation.GELU.apply(-1), 1e-6);
        assertEquals(0.5, Activation.GELU.derivative(0), 1e-15);
        assertEquals(lambda * alpha, Activation.SELU.derivative(-1e-12), 1e-9);
    }
}
