package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureRow;
import io.widedeep.core.spec.FeatureSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The joint model's analytic gradients against central finite differences of the summed log loss,
 * for the bias, wide weights, embedding rows and every MLP layer. Dense math in double precision.
 */
class GradientCheckTest {
    private static final double H = 1e-3;

    /** Where the MLP's passes run; {@link TorchGradientCheckTest} checks the libtorch backend the same way. */
    DenseBackend backend() {
        return DenseBackend.ND4J;
    }

    /** Puts the model's MLP on the backend under test. */
    void placeDense(WideDeepModel m) {
        m.useDenseBackend(backend(), 0);
    }

    private WideDeepModel trainedModel(FeatureSpec spec) {
        WideDeepModel m = WideDeepModel.create(spec, DataType.DOUBLE);
        placeDense(m);
        // a few real steps first, so weights are not all at their initial values
        for (int i = 0; i < 5; i++) {
            m.trainBatch(TestData.batch(spec, 16, 100 + i), null);
        }
        return m;
    }

    private interface Param {
        float get();

        void set(float v);
    }

    private int kinks;
    private boolean trainingLoss; // dropout: compare against the training forward of the same step (same masks)

    /**
     * Central difference against the analytic gradient. A parameter that sits on a ReLU kink (a unit
     * whose pre-activation is exactly 0 for some row, e.g. a zero bias over inputs that are all zero)
     * has no derivative: its one-sided differences disagree. Such points are counted, not compared.
     */
    private void check(String what, double analytic, WideDeepModel m, ExampleBatch batch, Param p) {
        float orig = p.get();
        float up = (float) (orig + H);
        float down = (float) (orig - H);
        double l0 = m.loss(batch, trainingLoss);
        p.set(up);
        double lUp = m.loss(batch, trainingLoss);
        p.set(down);
        double lDown = m.loss(batch, trainingLoss);
        p.set(orig);
        double numeric = (lUp - lDown) / ((double) up - (double) down);
        double right = (lUp - l0) / ((double) up - orig), left = (l0 - lDown) / ((double) orig - down);
        double tol = 1e-4 + 2e-3 * Math.max(Math.abs(numeric), Math.abs(analytic));
        // Only a point that fails may be excused, and only if it has no derivative there: its one-sided
        // differences disagree by more than the error (at a smooth point they differ by ~H f'', far less).
        if (Math.abs(numeric - analytic) > tol && Math.abs(right - left) > Math.abs(numeric - analytic)) {
            kinks++;
            return;
        }
        assertEquals(numeric, analytic, tol, what + ": finite difference " + numeric + " vs analytic " + analytic);
    }

    @Test
    void jointGradientsMatchFiniteDifferences() {
        checkEveryParameter(FeatureSpec.parse(TestData.SMALL_SPEC));
    }

    @Test
    void lateClickCorrectionGradientsMatchFiniteDifferences() {
        // every third row the late click of an impression trained as a negative before: loss -z, gradient -1
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC);
        ExampleBatch plain = TestData.batch(spec, 16, 7);
        ExampleBatch batch = new ExampleBatch(16, plain.numFields());
        for (int r = 0; r < 16; r++) {
            FeatureRow row = plain.row(r);
            if (r % 3 == 0) {
                row.label = 1f;
                row.lateClick = true;
            }
            batch.add(row);
        }
        assertTrue(batch.isLateClick(3) && !batch.isLateClick(4));
        checkEveryParameter(spec, batch);
    }

    @Test
    void aLateClicksLogitGradientIsMinusOneWhateverTheModelPredicts() {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC);
        WideDeepModel m = trainedModel(spec);
        ExampleBatch plain = TestData.batch(spec, 16, 7);
        ExampleBatch one = new ExampleBatch(1, plain.numFields());
        float[] p = new float[1];
        for (int r = 0; r < 4; r++) {
            FeatureRow row = plain.row(r);
            row.label = 1f;
            row.lateClick = true;
            one.clear();
            one.add(row);
            m.forwardBackward(one, p);
            assertEquals(-1.0, m.biasGrad(), 0.0, "the bias sees dLoss/dlogit");
            // the positive's gradient (p - 1) plus the cancelled negative's (-p)
            row.lateClick = false;
            one.clear();
            one.add(row);
            m.forwardBackward(one, null);
            double positive = m.biasGrad();
            row.label = 0f;
            one.clear();
            one.add(row);
            m.forwardBackward(one, null);
            assertEquals(-1.0, positive - m.biasGrad(), 1e-6);
            assertEquals(p[0] - 1.0, positive, 1e-6);
        }
    }

    @Test
    void fieldGateGradientsMatchFiniteDifferences() {
        // gates learning from the first example (no warm-up), so they and the wide weights they scale have moved;
        // with unknown values, whose keys share their field's gate
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"wide\": {",
                "\"wide\": {\"hash_bits\": 20, \"field_gates\": true, \"gate_warmup\": 0, \"unknown_values\": true, "));
        assertEquals(5, spec.wideGroups());
        WideDeepModel m = trainedModel(spec);
        boolean moved = false;
        for (float g : m.gates.gate) moved |= g != 1f;
        assertTrue(moved, "gates moved in training: " + m.gates);
        checkEveryParameter(spec);
    }

    @Test
    void factorisationMachineGradientsMatchFiniteDifferences() {
        // DeepFM: the pairwise term over the field embeddings (one size for all fields) beside the MLP
        String fm = TestData.SMALL_SPEC.replace("\"embedding_dims\": {\"item\": 3}, ", "")
                .replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"interaction\": \"fm\"");
        FeatureSpec spec = FeatureSpec.parse(fm);
        assertEquals(FeatureSpec.Interaction.FM, spec.interaction());
        assertTrue(spec.interactionGate(), "the FM term's gate is on with it");
        checkEveryParameter(spec);
        FeatureSpec ungated = FeatureSpec.parse(fm.replace("\"interaction\": \"fm\"", "\"interaction\": \"fm\", \"interaction_gate\": false"));
        assertTrue(!ungated.interactionGate());
        checkEveryParameter(ungated);
    }

    @Test
    void crossLayerGradientsMatchFiniteDifferences() {
        // DCN-v2: two cross layers on the MLP's input (their weights are the network's first layers)
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"hidden\": [8, 5]",
                "\"hidden\": [8, 5], \"interaction\": \"cross\", \"cross_layers\": 2"));
        assertEquals(2, spec.crossLayers());
        WideDeepModel m = WideDeepModel.create(spec);
        assertEquals(spec.deepInputWidth(), m.mlp.sizes[1], "a cross layer keeps the input's width");
        checkEveryParameter(spec);
    }

    @ParameterizedTest
    @ValueSource(strings = {"leaky_relu", "gelu", "selu"})
    void everyActivationsGradientsMatchFiniteDifferences(String activation) {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"hidden\": [8, 5]",
                "\"hidden\": [8, 5], \"activation\": \"" + activation + "\""));
        assertEquals(activation, spec.activation().name().toLowerCase());
        checkEveryParameter(spec);
    }

    @Test
    void layerNormalisationGradientsMatchFiniteDifferences() {
        // each hidden layer normalised before its activation; its gains and shifts are checked below too
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"normalization\": \"layer\""));
        assertEquals(FeatureSpec.Normalization.LAYER, spec.normalization());
        if (backend() != DenseBackend.ND4J) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainedModel(spec));
            assertTrue(e.getMessage().contains("deep.normalization"), e.getMessage());
            return;
        }
        WideDeepModel m = trainedModel(spec);
        assertTrue(m.mlp.gammaOffset(0) >= 0 && m.mlp.gammaOffset(1) >= 0 && m.mlp.gammaOffset(2) < 0, "hidden layers only");
        checkEveryParameter(spec);
    }

    @Test
    void dropoutGradientsMatchFiniteDifferencesOfTheSameMasks() {
        // the training forward admits new wide values as it runs, so with unknown values a second training
        // forward would take other wide weights than the first: off here, where the MLP's masks are checked
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"dropout\": 0.3")
                .replace("\"wide\": {", "\"wide\": {\"unknown_values\": false, "));
        assertEquals(0.3, spec.dropout());
        trainingLoss = true;
        checkEveryParameter(spec);
    }

    @Test
    void dropoutDropsInTrainingOnlyAndKeepsTheExpectedActivation() {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"dropout\": 0.5"));
        WideDeepModel m = trainedModel(spec);
        assertEquals(backend(), m.denseBackend());
        ExampleBatch batch = TestData.batch(spec, 16, 7);
        double scored = m.loss(batch);
        assertEquals(scored, m.loss(batch), 0, "scoring has no dropout: the same loss every time");
        assertTrue(Math.abs(m.loss(batch, true) - scored) > 1e-9, "training drops units");
        assertEquals(m.loss(batch, true), m.loss(batch, true), 0, "the same step draws the same masks");
        Mlp.Workspace ws = m.mlp.newWorkspace(16);
        java.util.Arrays.fill(ws.input, 1f);
        m.mlp.forward(ws, 3);
        INDArray mask = ws.masks[0];
        long kept = 0;
        for (long i = 0; i < mask.length(); i++) {
            double v = mask.getDouble(i);
            assertTrue(v == 0 || Math.abs(v - 2.0) < 1e-12, "a mask is 0 or 1/(1-rate): " + v);
            if (v != 0) kept++;
        }
        double keptShare = kept / (double) mask.length();
        assertTrue(keptShare > 0.3 && keptShare < 0.7, "about half the units kept: " + keptShare);
    }

    @Test
    void clippingScalesTheMlpGradientToTheNormAndKeepsItsDirection() {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"clip_norm\": 0", "\"clip_norm\": 0.5"));
        assertEquals(0.5, spec.deepOptimizer().clipNorm());
        WideDeepModel m = trainedModel(spec);
        m.forwardBackward(TestData.batch(spec, 16, 7), null);
        Mlp mlp = m.mlp;
        double g0 = mlp.weightGrad(0, 3), g1 = mlp.biasGrad(1, 2);
        double before = mlp.clipGradients(1e-3);
        assertTrue(before > 1e-3, "a norm worth clipping: " + before);
        assertEquals(1e-3, mlp.gradientNorm(), 1e-9);
        assertEquals(g0 * 1e-3 / before, mlp.weightGrad(0, 3), 1e-12);
        assertEquals(g1 * 1e-3 / before, mlp.biasGrad(1, 2), 1e-12);
        double small = mlp.gradientNorm();
        mlp.clipGradients(1.0); // under the limit: untouched
        assertEquals(small, mlp.gradientNorm(), 1e-15);
    }

    private void checkEveryParameter(FeatureSpec spec) {
        checkEveryParameter(spec, TestData.batch(spec, 16, 7));
    }

    private void checkEveryParameter(FeatureSpec spec, ExampleBatch batch) {
        WideDeepModel m = trainedModel(spec);
        // away from 1, so that a gradient that ignores the FM gate's value is caught
        if (m.interactionGate != null) {
            for (int p = 0; p < m.interactionGate.size(); p++) m.interactionGate.gate[p] = 0.5f + 0.2f * p;
        }
        m.forwardBackward(batch, null);
        int checked = 0;

        check("bias", m.biasGrad(), m, batch, new Param() {
            public float get() { return m.bias; }
            public void set(float v) { m.bias = v; }
        });

        WideTable wide = m.wide;
        int nonTrivial = 0;
        for (int s = 0; s < wide.index.highWater(); s++) {
            if (!wide.index.occupied(s)) continue;
            final int slot = s;
            check("wide slot " + s, wide.grad(s), m, batch, new Param() {
                public float get() { return wide.w[slot]; }
                public void set(float v) { wide.w[slot] = v; }
            });
            if (Math.abs(wide.grad(s)) > 1e-3) nonTrivial++;
            checked++;
        }
        assertTrue(nonTrivial > 10, "wide gradients are mostly non-zero, got " + nonTrivial);
        if (m.gates != null) {
            FieldGates gates = m.gates;
            for (int g = 0; g < gates.size(); g++) {
                final int group = g;
                check("field gate " + g, gates.grad(g), m, batch, new Param() {
                    public float get() { return gates.gate[group]; }
                    public void set(float v) { gates.gate[group] = v; }
                });
                checked++;
            }
        }

        if (m.interactionGate != null) {
            FieldGates gate = m.interactionGate;
            assertEquals(3, gate.size(), "one weight per pair of the three deep fields");
            for (int p = 0; p < gate.size(); p++) {
                final int pair = p;
                assertTrue(Math.abs(gate.grad(p)) > 1e-6, "FM pair " + p + " has a gradient: " + gate.grad(p));
                check("FM pair weight " + p, gate.grad(p), m, batch, new Param() {
                    public float get() { return gate.gate[pair]; }
                    public void set(float v) { gate.gate[pair] = v; }
                });
                checked++;
            }
        }

        for (int k = 0; k < m.embeddings.length; k++) {
            EmbeddingTable t = m.embeddings[k];
            for (int s = 0; s < t.index.highWater(); s++) {
                for (int j = 0; j < t.dim; j++) {
                    final int idx = s * t.dim + j;
                    check("embedding " + k + " slot " + s + "[" + j + "]", t.grad(s, j), m, batch, new Param() {
                        public float get() { return t.rows[idx]; }
                        public void set(float v) { t.rows[idx] = v; }
                    });
                    checked++;
                }
            }
        }

        Mlp mlp = m.mlp;
        for (int l = 0; l < mlp.sizes.length - 1; l++) {
            INDArray w = mlp.weights(l);
            int cols = mlp.sizes[l + 1];
            long n = (long) mlp.sizes[l] * cols;
            for (long i = 0; i < n; i += Math.max(1, n / 40)) {
                final long r = i / cols, c = i % cols;
                check("layer " + l + " weight " + i, mlp.weightGrad(l, i), m, batch, new Param() {
                    public float get() { return (float) w.getDouble(r, c); }
                    public void set(float v) { w.putScalar(new long[] {r, c}, v); }
                });
                checked++;
            }
            INDArray b = mlp.biases(l);
            for (int j = 0; j < cols; j++) {
                final int jj = j;
                check("layer " + l + " bias " + j, mlp.biasGrad(l, j), m, batch, new Param() {
                    public float get() { return (float) b.getDouble(0, jj); }
                    public void set(float v) { b.putScalar(new long[] {0, jj}, v); }
                });
                checked++;
            }
        }
        for (int l = 0; l < mlp.sizes.length - 1; l++) {
            int g = mlp.gammaOffset(l);
            if (g < 0) continue;
            for (int j = 0; j < 2 * mlp.sizes[l + 1]; j++) { // gains, then shifts
                final int idx = g + j;
                check("layer " + l + (j < mlp.sizes[l + 1] ? " gain " : " shift ") + j, mlp.grads.getDouble(idx), m, batch, new Param() {
                    public float get() { return (float) mlp.params.getDouble(idx); }
                    public void set(float v) { mlp.params.putScalar(idx, v); }
                });
                checked++;
            }
        }
        assertTrue(checked > 200, "checked " + checked + " parameters");
        System.out.println(spec.interaction() + "/" + spec.activation() + ": " + checked + " parameters checked, " + kinks + " on a ReLU kink");
        assertTrue(kinks * 20 < checked, kinks + " of " + checked + " parameters sit on a ReLU kink");
    }
}
