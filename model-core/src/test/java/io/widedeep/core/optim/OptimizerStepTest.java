package io.widedeep.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** One step of each optimizer against values computed by hand from the papers' update rules. */
class OptimizerStepTest {

    @Test
    void ftrlStepMatchesHandComputation() {
        FtrlProximal ftrl = new FtrlProximal(0.1, 1.0, 0.2, 0.5);
        double[] z = {0.0, 0.7};
        double[] n = {0.0, 4.0};
        // coordinate 0 from zero state, g = 0.3: w = 0 (|z|<=l1), sigma = (sqrt(0.09)-0)/0.1 = 3
        // z = 0.3 - 3*0 = 0.3, n = 0.09; w = -(0.3-0.2)/((1+0.3)/0.1 + 0.5) = -0.1/13.5
        double w0 = ftrl.step(z, n, 0, 0.3);
        assertEquals(0.3, z[0], 1e-15);
        assertEquals(0.09, n[0], 1e-15);
        assertEquals(-0.1 / 13.5, w0, 1e-15);
        // coordinate 1: z=0.7, n=4: w_old = -(0.7-0.2)/((1+2)/0.1+0.5) = -0.5/30.5
        // g = -0.5: n' = 4.25, sigma = (sqrt(4.25)-2)/0.1
        double wOld = -0.5 / 30.5;
        double sigma = (Math.sqrt(4.25) - 2) / 0.1;
        double zNew = 0.7 - 0.5 - sigma * wOld;
        double w1 = ftrl.step(z, n, 1, -0.5);
        assertEquals(zNew, z[1], 1e-15);
        assertEquals(4.25, n[1], 1e-15);
        double expected = Math.abs(zNew) <= 0.2 ? 0 : -(zNew - Math.signum(zNew) * 0.2) / ((1 + Math.sqrt(4.25)) / 0.1 + 0.5);
        assertEquals(expected, w1, 1e-15);
    }

    @Test
    void ftrlL1KeepsSmallWeightsExactlyZero() {
        FtrlProximal ftrl = new FtrlProximal(0.1, 1.0, 1.0, 0.0);
        double[] z = {0};
        double[] n = {0};
        double w = 0;
        for (int i = 0; i < 5; i++) {
            w = ftrl.step(z, n, 0, i % 2 == 0 ? 0.15 : -0.1); // |z| stays below l1 = 1
        }
        assertEquals(0.0, w);
        assertEquals(0.0, ftrl.weight(0.99, 3.0));
        assertEquals(true, ftrl.weight(1.5, 3.0) < 0);
    }

    @Test
    void adaGradDenseAndSparseStepsMatchHandComputation() {
        double lr = 0.1, init = 0.1, eps = 1e-10;
        float[] g = {0.5f, -2f, 0f};
        float[] w = {1f, 1f, 1f};
        float[] expectedW = new float[3];
        float[] expectedAcc = new float[3];
        for (int i = 0; i < 3; i++) {
            expectedAcc[i] = (float) (init + g[i] * g[i]);
            expectedW[i] = (float) (w[i] - lr * g[i] / (Math.sqrt(expectedAcc[i]) + eps));
        }
        // sparse row form
        AdaGrad sparse = new AdaGrad(lr, init, eps);
        float[] rowW = w.clone();
        float[] state = {(float) init, (float) init, (float) init};
        sparse.stepRow(rowW, 0, state, 0, g, 0, 3, 1);
        assertArrayEquals(expectedAcc, state, 1e-7f);
        assertArrayEquals(expectedW, rowW, 1e-6f);
        // dense form (ND4J fused op)
        AdaGrad dense = new AdaGrad(lr, init, eps);
        INDArray params = Nd4j.createFromArray(w.clone()).reshape(1, 3);
        dense.initialise(params);
        dense.step(params, Nd4j.createFromArray(g.clone()).reshape(1, 3));
        assertArrayEquals(expectedW, params.toFloatVector(), 1e-6f);
        assertArrayEquals(expectedAcc, dense.state()[0].toFloatVector(), 1e-6f);
    }

    @Test
    void adamFirstTwoStepsMatchHandComputation() {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] grads = {0.4, -0.2};
        double w = 0.5, m = 0, v = 0;
        for (int t = 1; t <= 2; t++) {
            double g = grads[t - 1];
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            w -= lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t)) * m / (Math.sqrt(v) + eps);
        }
        Adam sparse = new Adam(lr, b1, b2, eps);
        float[] row = {0.5f};
        float[] state = {0f, 0f};
        for (int t = 1; t <= 2; t++) {
            sparse.stepRow(row, 0, state, 0, new float[] {(float) grads[t - 1]}, 0, 1, t);
        }
        assertEquals(w, row[0], 1e-6);

        Adam dense = new Adam(lr, b1, b2, eps);
        INDArray p = Nd4j.createFromArray(new double[] {0.5}).reshape(1, 1);
        dense.initialise(p);
        for (int t = 1; t <= 2; t++) {
            dense.step(p, Nd4j.createFromArray(new double[] {grads[t - 1]}).reshape(1, 1));
        }
        assertEquals(DataType.DOUBLE, p.dataType());
        assertEquals(w, p.getDouble(0), 1e-9);
    }

    @Test
    void adamWDecaysTheWeightsOutsideTheAdaptiveStep() {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        double[] grads = {0.4, -0.2};
        double w = 0.5, m = 0, v = 0;
        for (int t = 1; t <= 2; t++) {
            double g = grads[t - 1];
            w -= lr * wd * w; // decoupled: not part of g, not rescaled by 1/sqrt(v)
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            w -= lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t)) * m / (Math.sqrt(v) + eps);
        }
        AdamW sparse = new AdamW(lr, b1, b2, eps, wd);
        float[] row = {0.5f};
        float[] state = {0f, 0f};
        for (int t = 1; t <= 2; t++) {
            sparse.stepRow(row, 0, state, 0, new float[] {(float) grads[t - 1]}, 0, 1, t);
        }
        assertEquals(w, row[0], 1e-6);
        AdamW dense = new AdamW(lr, b1, b2, eps, wd);
        INDArray p = Nd4j.createFromArray(new double[] {0.5}).reshape(1, 1);
        dense.initialise(p);
        for (int t = 1; t <= 2; t++) {
            dense.step(p, Nd4j.createFromArray(new double[] {grads[t - 1]}).reshape(1, 1));
        }
        assertEquals(w, p.getDouble(0), 1e-9);
        assertEquals(2, dense.iterations());
    }

    @Test
    void rmsPropFirstTwoStepsMatchHandComputation() {
        double lr = 0.01, rho = 0.9, eps = 1e-8;
        double[] grads = {0.4, -0.2};
        // G1 = 0.1 * 0.16 = 0.016, w1 = 0.5 - 0.01 * 0.4 / sqrt(0.016); G2 = 0.9 * 0.016 + 0.1 * 0.04 = 0.0184
        double w = 0.5 - lr * 0.4 / (Math.sqrt(0.016) + eps);
        w -= lr * -0.2 / (Math.sqrt(0.0184) + eps);
        RmsProp sparse = new RmsProp(lr, rho, eps);
        float[] row = {0.5f};
        float[] state = {0f};
        for (int t = 1; t <= 2; t++) {
            sparse.stepRow(row, 0, state, 0, new float[] {(float) grads[t - 1]}, 0, 1, t);
        }
        assertEquals(w, row[0], 1e-6);
        assertEquals(0.0184, state[0], 1e-7);
        RmsProp dense = new RmsProp(lr, rho, eps);
        INDArray p = Nd4j.createFromArray(new double[] {0.5}).reshape(1, 1);
        dense.initialise(p);
        for (int t = 1; t <= 2; t++) {
            dense.step(p, Nd4j.createFromArray(new double[] {grads[t - 1]}).reshape(1, 1));
        }
        assertEquals(w, p.getDouble(0), 1e-9);
        assertEquals(0.0184, dense.state()[0].getDouble(0), 1e-12);
    }

    @Test
    void resetForgetsTheAccumulatorsAndCopyStartsFresh() {
        AdaGrad opt = new AdaGrad(0.1, 0.1, 1e-7);
        INDArray w = Nd4j.createFromArray(new double[] {1.0, -2.0});
        opt.initialise(w);
        opt.step(w, Nd4j.createFromArray(new double[] {0.5, -1.0}));
        // G = 0.1 + g^2 after one step
        assertEquals(0.35, opt.state()[0].getDouble(0), 1e-12);
        assertEquals(1.1, opt.state()[0].getDouble(1), 1e-12);
        assertEquals("AdaGrad(learningRate=0.1, initialAccumulator=0.1, epsilon=1.0E-7, iterations=1)", opt.toString());

        AdaGrad fresh = opt.copy();
        fresh.initialise(w);
        assertEquals(0.1, fresh.state()[0].getDouble(0), 1e-12, "a copy shares settings, not state");
        opt.reset();
        assertEquals(0.1, opt.state()[0].getDouble(1), 1e-12);
        assertEquals(0, opt.iterations());
        // after reset the next step is the first step again: w -= lr * g / sqrt(0.1 + g^2)
        INDArray v = Nd4j.createFromArray(new double[] {0.0, 0.0});
        opt.step(v, Nd4j.createFromArray(new double[] {0.5, 0.0}));
        assertEquals(-0.1 * 0.5 / (Math.sqrt(0.35) + 1e-7), v.getDouble(0), 1e-12);
    }
}
