package io.widedeep.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class QualityGateTest {

    @Test
    void publishesUntilTheWindowIsFullThenJudgesOnTheSameExamples() {
        QualityGate gate = new QualityGate(100, 0.10, 60_000);
        Random rnd = new Random(1);
        for (int i = 0; i < 99; i++) gate.add(0.9f, 0.1f, 0f); // candidate far worse, but too little evidence
        assertEquals(QualityGate.Decision.PUBLISH, gate.decide(0));
        gate.add(0.9f, 0.1f, 0f);
        assertEquals(QualityGate.Decision.HOLD, gate.decide(0), "a full window of a worse candidate holds back");
        // the data shifts: both models now see hard examples; the candidate is as good as the published one
        for (int i = 0; i < 100; i++) {
            float y = rnd.nextBoolean() ? 1f : 0f;
            gate.add(0.5f, 0.5f, y);
        }
        assertEquals(QualityGate.Decision.PUBLISH, gate.decide(1000), "a shift moves both sides: no freeze");
        assertEquals(gate.candidateLoss(), gate.publishedLoss(), 1e-9);
        assertEquals(Math.log(2), gate.candidateLoss(), 1e-6);
    }

    @Test
    void aHoldEndsInAnOverrideAfterMaxHold() {
        QualityGate gate = new QualityGate(10, 0.10, 5_000);
        for (int i = 0; i < 10; i++) gate.add(0.3f, 0.1f, 0f); // -ln 0.7 = 0.357 vs -ln 0.9 = 0.105
        assertEquals(QualityGate.Decision.HOLD, gate.decide(1_000));
        assertEquals(QualityGate.Decision.HOLD, gate.decide(5_999));
        assertEquals(4_999, gate.holdingMs(5_999));
        assertEquals(QualityGate.Decision.OVERRIDE, gate.decide(6_000));
        gate.published();
        assertEquals(0, gate.holdingMs(6_000));
        // within the margin: -ln 0.9 * 1.1 > -ln(1 - 0.105)
        for (int i = 0; i < 10; i++) gate.add(0.105f, 0.1f, 0f);
        assertEquals(QualityGate.Decision.PUBLISH, gate.decide(7_000));
    }

    @Test
    void stateRoundTripsExactly() {
        QualityGate gate = new QualityGate(50, 0.10, 5_000);
        Random rnd = new Random(3);
        for (int i = 0; i < 137; i++) gate.add(rnd.nextFloat(), rnd.nextFloat(), rnd.nextBoolean() ? 1f : 0f);
        gate.decide(100);
        QualityGate restored = new QualityGate(50, 0.10, 5_000);
        restored.restore(gate.toBytes());
        assertEquals(gate.count(), restored.count());
        assertEquals(gate.candidateLoss(), restored.candidateLoss(), 1e-12);
        assertEquals(gate.publishedLoss(), restored.publishedLoss(), 1e-12);
        assertEquals(gate.decide(200), restored.decide(200));
        float p = rnd.nextFloat();
        gate.add(p, 0.5f, 1f);
        restored.add(p, 0.5f, 1f);
        assertEquals(gate.candidateLoss(), restored.candidateLoss(), 1e-12, "the same oldest example leaves both");
    }
}
