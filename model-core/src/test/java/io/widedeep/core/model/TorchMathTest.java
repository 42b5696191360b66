package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.spec.Activation;
import io.widedeep.core.spec.FeatureSpec;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The libtorch backend against the ND4J one: the same forward outputs and gradients on the same
 * weights and batch, snapshots that round-trip bit for bit whichever backend trained the model, and
 * training that continues on the other backend where it stopped.
 */
class TorchMathTest {
    private static final int ROWS = 64;
    private static final int WIDTH = 24;
    /** Relative tolerance of the comparison: float32 sums in a different order. */
    private static final double REL = 1e-5;

    /**
     * Mirrored: the CUDA path (device tensors apart from the host arrays: the parameters mirrored and
     * uploaded before each pass, the batch, logits, gradients and masks copied across), with its
     * "device" on the CPU, so that every copy it makes is checked where there is no GPU.
     */
    @ParameterizedTest(name = "{0}, {1} cross layers, dropout {2}, {3}, mirrored {4}")
    @CsvSource({
            "RELU, 0, 0, FLOAT, false",
            "RELU, 2, 0, FLOAT, false",
            "RELU, 0, 0.3, FLOAT, false",
            "GELU, 1, 0.2, FLOAT, false",
            "SELU, 0, 0, FLOAT, false",
            "RELU, 1, 0.2, DOUBLE, false",
            "RELU, 2, 0.3, FLOAT, true",
            "GELU, 1, 0.2, FLOAT, true",
            "RELU, 1, 0, DOUBLE, true"})
    void sameOutputsAndGradientsAsNd4jOnTheSameWeightsAndBatch(Activation activation, int cross, double dropout, String precision,
                                                              boolean mirrored) {
        DataType dtype = DataType.valueOf(precision);
        Mlp nd4j = new Mlp(WIDTH, cross, new int[] {32, 16}, activation, dropout, dtype, null, 7);
        Mlp torch = new Mlp(WIDTH, cross, new int[] {32, 16}, activation, dropout, dtype, null, 7);
        if (mirrored) torch.useTorchMirroredOnCpu(); else torch.useBackend(DenseBackend.TORCH_CPU, 0);
        assertEquals(0, nd4j.params.sub(torch.params).norm2Number().doubleValue(), "the same seeded initialisation");
        Mlp.Workspace a = nd4j.newWorkspace(ROWS), b = torch.newWorkspace(ROWS);
        SplittableRandom rnd = new SplittableRandom(11);
        for (int i = 0; i < a.input.length; i++) a.input[i] = b.input[i] = (float) rnd.nextGaussian();
        float[] dOut = new float[ROWS];
        for (int i = 0; i < ROWS; i++) dOut[i] = (float) rnd.nextGaussian() / ROWS;

        nd4j.forward(a, 5);
        torch.forward(b, 5);
        assertNotNull(b.torchBuffers, "the torch workspace ran");
        assertClose("logits", a.out, b.out);
        nd4j.backward(a, dOut);
        torch.backward(b, dOut);
        assertClose("parameter gradients", nd4j.grads, torch.grads);
        assertClose("input gradients", a.dInputHost, b.dInputHost);
        assertTrue(torch.gradientNorm() > 1e-3, "a gradient worth comparing: " + torch.gradientNorm());

        // scoring (no dropout) on both, after a weight changed behind the backends' backs
        nd4j.params.putScalar(3, 0.25);
        torch.params.putScalar(3, 0.25);
        nd4j.infer(a, ROWS);
        torch.infer(b, ROWS);
        assertClose("scores", a.out, b.out);
    }

    @Test
    void aModelTrainedOnTorchRoundTripsBitForBit() throws Exception {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC);
        WideDeepModel m = WideDeepModel.create(spec);
        m.useDenseBackend(DenseBackend.TORCH_CPU, 0);
        for (int i = 0; i < 20; i++) m.trainBatch(TestData.batch(spec, 16, 300 + i), null);
        byte[] full = ModelCodec.encodeFull(m, true);
        WideDeepModel back = ModelCodec.decodeFull(full);
        assertArrayEquals(full, ModelCodec.encodeFull(back, true), "decoded on ND4J");
        back.useDenseBackend(DenseBackend.TORCH_CPU, 0);
        assertArrayEquals(full, ModelCodec.encodeFull(back, true), "moved to torch");
        byte[] serving = ModelCodec.encodeFull(m, false);
        assertArrayEquals(serving, ModelCodec.encodeFull(ModelCodec.decodeFull(serving), false), "the serving snapshot");
    }

    @ParameterizedTest
    @CsvSource({"ND4J, TORCH_CPU", "TORCH_CPU, ND4J"})
    void trainingContinuesOnTheOtherBackend(DenseBackend first, DenseBackend then) throws Exception {
        FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC);
        WideDeepModel m = WideDeepModel.create(spec);
        m.useDenseBackend(first, 0);
        for (int i = 0; i < 10; i++) m.trainBatch(TestData.batch(spec, 16, 400 + i), null);
        byte[] checkpoint = ModelCodec.encodeFull(m, true);
        ExampleBatch probe = TestData.batch(spec, 16, 999);
        float[] atCheckpoint = predict(ModelCodec.decodeFull(checkpoint), probe);

        WideDeepModel same = ModelCodec.decodeFull(checkpoint);
        same.useDenseBackend(first, 0);
        WideDeepModel other = ModelCodec.decodeFull(checkpoint);
        other.useDenseBackend(then, 0);
        for (int i = 0; i < 10; i++) {
            same.trainBatch(TestData.batch(spec, 16, 500 + i), null);
            other.trainBatch(TestData.batch(spec, 16, 500 + i), null);
        }
        float[] pSame = predict(same, probe), pOther = predict(other, probe);
        double moved = 0;
        for (int r = 0; r < pSame.length; r++) {
            moved = Math.max(moved, Math.abs(pSame[r] - atCheckpoint[r]));
            assertEquals(pSame[r], pOther[r], 1e-5, "row " + r + ": the other backend continues where the first stopped");
        }
        assertTrue(moved > 1e-3, "ten more steps moved the predictions: " + moved);
        assertEquals(same.trainedExamples(), other.trainedExamples());
    }

    private static float[] predict(WideDeepModel m, ExampleBatch batch) {
        float[] p = new float[batch.size()];
        m.predict(batch, m.newScratch(batch.size()), p);
        return p;
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertClose(what, expected.castTo(DataType.DOUBLE).data().asDouble(), actual.castTo(DataType.DOUBLE).data().asDouble());
    }

    private static void assertClose(String what, float[] expected, float[] actual) {
        double[] e = new double[expected.length], a = new double[actual.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
            a[i] = actual[i];
        }
        assertClose(what, e, a);
    }

    /** Element-wise within {@link #REL} of the larger magnitude, plus REL of the vector's largest element (for values near zero). */
    private static void assertClose(String what, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double v : expected) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 0, what + " are not all zero");
        for (int i = 0; i < expected.length; i++) {
            double tol = REL * Math.max(Math.abs(expected[i]), Math.abs(actual[i])) + REL * scale;
            assertEquals(expected[i], actual[i], tol, what + "[" + i + "]");
        }
    }
}
