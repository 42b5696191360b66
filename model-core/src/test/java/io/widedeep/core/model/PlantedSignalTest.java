package io.widedeep.core.model;

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
 * A stream with two planted effects: a sparse, arbitrary (region x item) effect that only a cross
 * can memorise, and a smooth low-rank (user attribute x item attribute) interaction that the wide
 * part (which has no such cross) cannot represent but embeddings generalise. Joint Wide &amp; Deep
 * must beat both halves alone in progressive-validation log loss.
 */
class PlantedSignalTest {
    static final String SPEC = TestSpecs.PLANTED;


    static double run(FeatureSpec spec, int n) {
        Random rnd = new Random(11);
        int regions = 20, items = 60, attrs = 12, rank = 3;
        double[][] pairEffect = new double[regions][items];
        for (double[] row : pairEffect) {
            for (int i = 0; i < items; i++) row[i] = rnd.nextDouble() < 0.08 ? 3.0 : 0.0;
        }
        double[][] ua = new double[attrs][rank];
        double[][] ia = new double[attrs][rank];
        for (int a = 0; a < attrs; a++) {
            for (int k = 0; k < rank; k++) {
                ua[a][k] = rnd.nextGaussian();
                ia[a][k] = rnd.nextGaussian();
            }
        }
        int[] itemAttr = new int[items];
        for (int i = 0; i < items; i++) itemAttr[i] = rnd.nextInt(attrs);
        WideDeepModel m = WideDeepModel.create(spec);
        OnlineLearner learner = new OnlineLearner(m, n / 5);
        Random data = new Random(12);
        for (int e = 0; e < n; e++) {
            int region = data.nextInt(regions), item = data.nextInt(items), u = data.nextInt(attrs);
            double dot = 0;
            for (int k = 0; k < rank; k++) dot += ua[u][k] * ia[itemAttr[item]][k];
            double logit = -2.0 + pairEffect[region][item] + 1.2 * dot;
            int label = data.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
            Map<String, String> ctx = new HashMap<>();
            ctx.put("region", "r" + region);
            ctx.put("uattr", "u" + u);
            ctx.put("iattr", "a" + itemAttr[item]);
            ClickEvent ev = ClickEvent.newBuilder().setEventId("e" + e).setEventType(EventType.IMPRESSION)
                    .setImpressionId("e" + e).setUserId("x").setItemId("i" + item).setEventTime(e)
                    .setContext(ctx).setNumeric(new HashMap<>()).setLabel(label).build();
            learner.add(ev, (UserHistory) null, label);
        }
        learner.flush();
        return learner.metrics().windowLogLoss();
    }

    private static final int N = 120_000;
    private static double joint; // the plain Wide & Deep figure both tests compare with, computed once

    private static double joint() {
        if (joint == 0) joint = run(FeatureSpec.parse(SPEC), N);
        return joint;
    }

    /** PV log loss (last 20 %) of the plain Wide & Deep model, then of each variant; printed as one line. */
    private static double[] jointThen(String... variants) {
        FeatureSpec spec = FeatureSpec.parse(SPEC);
        double[] losses = new double[variants.length + 1];
        losses[0] = joint();
        StringBuilder line = new StringBuilder(String.format("PV logloss (last 20%%): widedeep %.5f", losses[0]));
        for (int i = 0; i < variants.length; i++) {
            losses[i + 1] = run(spec.variant(variants[i]), N);
            line.append(String.format(", %s %.5f", variants[i], losses[i + 1]));
        }
        System.out.println(line);
        return losses;
    }

    @Test
    void wideAndDeepBeatsBothHalves() {
        double[] l = jointThen("wide", "deep");
        assertTrue(l[0] < l[1], "widedeep vs wide: " + Arrays.toString(l));
        assertTrue(l[0] < l[2], "widedeep vs deep: " + Arrays.toString(l));
    }

    @Test
    void fieldGatesKeepTheDeepPartWhereItMatters() {
        // gates learning from the first example slow the wide part's early fit, and the deep part then never
        // leaves its start (0.501, the wide part's figure); after the warm-up the deep part is intact
        FeatureSpec gated = FeatureSpec.parse(SPEC.replace("\"crosses\": [[\"region\", \"item\"]]",
                "\"crosses\": [[\"region\", \"item\"]], \"hash_bits\": 24, \"field_gates\": true"));
        double joint = joint();
        double withGates = run(gated, N);
        String msg = String.format("PV logloss (last 20%%): widedeep %.5f, with field gates %.5f", joint, withGates);
        System.out.println(msg);
        assertTrue(withGates < joint, msg);
    }

    @Test
    void interactionLayersHelpWhereAttributesInteract() {
        // the (user attribute x item attribute) effect is a rank-3 inner product: exactly the FM's pairwise
        // form, and a product of input features that cross layers build
        double[] l = jointThen("deepfm", "dcn");
        assertTrue(l[1] < l[0], "deepfm vs widedeep: " + Arrays.toString(l));
        assertTrue(l[2] < l[0], "dcn vs widedeep: " + Arrays.toString(l));
    }
}
