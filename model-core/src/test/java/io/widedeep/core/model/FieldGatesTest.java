package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.UserHistory;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code wide.field_gates}: one learned weight per wide field scales the field's summed weights. On a
 * stream whose clicks depend on two fields while four others are noise (the Criteo-shaped generator's
 * situation: 9 of 26 fields carry the signal), the gates turn the noise fields down and the signal
 * fields up, and the model learns more per example than plain FTRL, which regularises each
 * coordinate alone.
 */
class FieldGatesTest {
    private static final String SPEC = """
            {
              "fields": [
                {"name": "s1", "source": "context.s1"}, {"name": "s2", "source": "context.s2"},
                {"name": "n1", "source": "context.n1"}, {"name": "n2", "source": "context.n2"},
                {"name": "n3", "source": "context.n3"}, {"name": "n4", "source": "context.n4"}
              ],
              "wide": {"fields": ["s1", "s2", "n1", "n2", "n3", "n4"], "hash_bits": 22GATES},
              "ftrl": {"alpha": 0.05, "l1": 1.0},
              "training": {"batch_size": 64, "seed": 5}
            }""";
    private static final int WARMUP = 10_000;

    private static FeatureSpec spec(boolean gated) {
        return FeatureSpec.parse(SPEC.replace("GATES", gated ? ", \"field_gates\": true, \"gate_warmup\": " + WARMUP : ", \"field_gates\": false"));
    }

    private static OnlineLearner train(FeatureSpec spec, int n) {
        Random effects = new Random(3);
        double[][] w = new double[2][200];
        for (double[] f : w) for (int v = 0; v < f.length; v++) f[v] = effects.nextGaussian() * 0.5;
        OnlineLearner learner = new OnlineLearner(WideDeepModel.create(spec), n / 5);
        Random rnd = new Random(8);
        for (int e = 0; e < n; e++) {
            Map<String, String> ctx = new HashMap<>();
            int a = rnd.nextInt(200), b = rnd.nextInt(200);
            ctx.put("s1", "a" + a);
            ctx.put("s2", "b" + b);
            for (int k = 1; k <= 4; k++) ctx.put("n" + k, "v" + rnd.nextInt(2000));
            double logit = -1.0 + w[0][a] + w[1][b];
            int label = rnd.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
            ClickEvent ev = ClickEvent.newBuilder().setEventId("e" + e).setEventType(EventType.IMPRESSION)
                    .setImpressionId("e" + e).setUserId("u").setItemId("i").setEventTime(e).setContext(ctx)
                    .setNumeric(new HashMap<>()).setLabel(label).build();
            learner.add(ev, (UserHistory) null, label);
        }
        learner.flush();
        return learner;
    }

    @Test
    void gatesTurnNoiseFieldsDownAndLearnMorePerExample() {
        double plain = train(spec(false), 60_000).metrics().windowLogLoss();
        OnlineLearner gated = train(spec(true), 60_000);
        float[] gates = gated.model().gates.gate;
        String msg = String.format("PV log loss, last 20 %%: plain %.5f, gated %.5f; gates %s", plain,
                gated.metrics().windowLogLoss(), Arrays.toString(gates));
        System.out.println(msg);
        assertTrue(gated.metrics().windowLogLoss() < plain - 0.002, msg);
        float signal = Math.min(gates[0], gates[1]);
        for (int g = 2; g < 6; g++) assertTrue(gates[g] < 0.6f * signal, "noise field " + g + " below the signal fields: " + msg);
    }

    @Test
    void gatesStayAtOneDuringTheWarmUp() {
        OnlineLearner early = train(spec(true), WARMUP - 64);
        for (float g : early.model().gates.gate) assertEquals(1f, g);
        OnlineLearner later = train(spec(true), WARMUP + 640);
        float moved = 0;
        for (float g : later.model().gates.gate) moved = Math.max(moved, Math.abs(g - 1f));
        assertTrue(moved > 0, "gates move after the warm-up");
    }
}
