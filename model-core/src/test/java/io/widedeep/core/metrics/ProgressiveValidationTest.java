package io.widedeep.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ProgressiveValidationTest {
    @Test
    void metricsMatchDirectComputation() {
        Random rnd = new Random(3);
        int n = 5000;
        float[] p = new float[n];
        byte[] y = new byte[n];
        ProgressiveValidation pv = new ProgressiveValidation(1000);
        double loss = 0, tailLoss = 0;
        int pos = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (float) rnd.nextDouble();
            y[i] = (byte) (rnd.nextDouble() < p[i] ? 1 : 0);
            pv.add(p[i], y[i]);
            double l = y[i] == 1 ? -Math.log(p[i]) : -Math.log(1 - p[i]);
            loss += l;
            if (i >= n - 1000) tailLoss += l;
            pos += y[i];
        }
        assertEquals(loss / n, pv.logLoss(), 1e-8);
        assertEquals(tailLoss / 1000, pv.windowLogLoss(), 1e-8);
        assertEquals((double) pos / n, pv.ctr(), 1e-12);
        // brute-force AUC over all pairs
        long good = 0, ties = 0, pairs = 0;
        for (int i = 0; i < n; i++) {
            if (y[i] != 1) continue;
            for (int j = 0; j < n; j++) {
                if (y[j] != 0) continue;
                pairs++;
                if (p[i] > p[j]) good++; else if (p[i] == p[j]) ties++;
            }
        }
        double auc = (good + 0.5 * ties) / pairs;
        assertEquals(auc, ProgressiveValidation.exactAuc(p, y, n), 1e-12);
        assertEquals(auc, pv.auc(), 1e-3, "bucketed AUC within bucket resolution");
        assertEquals(1.0, pv.calibration(), 0.05, "p is calibrated by construction");
    }

    @Test
    void runningCtrBaselineMatchesHandComputation() {
        byte[] y = {1, 0, 0, 1};
        // predictions 0.5/1, 1.5/2, 1.5/3, 1.5/4
        double[] losses = {-Math.log(0.5), -Math.log(1 - 0.75), -Math.log(1 - 0.5), -Math.log(0.375)};
        assertEquals((losses[0] + losses[1] + losses[2] + losses[3]) / 4, ProgressiveValidation.runningCtrLogLoss(y, 0, 4), 1e-12);
        assertEquals((losses[2] + losses[3]) / 2, ProgressiveValidation.runningCtrLogLoss(y, 2, 4), 1e-12,
                "a tail still counts the clicks before it");
    }
}
