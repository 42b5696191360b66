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
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * A stream with two planted effects: a sparse, arbitrary (region x item) effect that only a cross
 * can memorise, and a smooth low-rank (user attribute x item attribute) interaction that the wide
 * part (which has no such cross) cannot represent but embeddings generalise.
 *
 * <p>Each claim holds on every one of {@link #SEEDS} draws of the planted effects and the data, by at
 * least a stated margin (the smallest gap measured over those draws, rounded down), not on one draw.
 */
class PlantedSignalTest {
    static final String SPEC = TestSpecs.PLANTED;


    static final long[] SEEDS = {0, 1, 2};

    static double run(FeatureSpec spec, int n, long seed) {
        return train(spec, n, seed, 1.2).metrics().windowLogLoss();
    }

    /** The stream of one draw, with the attribute interaction at {@code interaction} (0: none), learned by a new model. */
    static OnlineLearner train(FeatureSpec spec, int n, long seed, double interaction) {
        Random rnd = new Random(11 + 100 * seed);
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
        Random data = new Random(12 + 100 * seed);
        for (int e = 0; e < n; e++) {
            int region = data.nextInt(regions), item = data.nextInt(items), u = data.nextInt(attrs);
            double dot = 0;
            for (int k = 0; k < rank; k++) dot += ua[u][k] * ia[itemAttr[item]][k];
            double logit = -2.0 + pairEffect[region][item] + interaction * dot;
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
        return learner;
    }

    private static final int N = 120_000;
    private static double[] joint; // the plain Wide & Deep figure per seed, computed once for all tests

    private static double[] joint() {
        if (joint == null) joint = runAll(FeatureSpec.parse(SPEC));
        return joint;
    }

    private static final Map<String, double[]> RUNS = new HashMap<>(); // by spec: each variant runs once per class

    private static double[] runAll(FeatureSpec spec) {
        return RUNS.computeIfAbsent(spec.json(), j -> runSeeds(spec));
    }

    private static double[] runSeeds(FeatureSpec spec) {
        double[] out = new double[SEEDS.length];
        for (int i = 0; i < SEEDS.length; i++) out[i] = run(spec, N, SEEDS[i]);
        return out;
    }

    /**
     * Asserts that {@code better} beats {@code worse} on every seed by at least {@code margin} PV log
     * loss (last 20 %), printing both per seed.
     */
    private static void assertBeats(String name, double[] better, String other, double[] worse, double margin) {
        String line = String.format("PV logloss (last 20%%) per seed: %s %s, %s %s", name, Arrays.toString(better), other,
                Arrays.toString(worse));
        System.out.println(line);
        for (int i = 0; i < SEEDS.length; i++) {
            assertTrue(worse[i] - better[i] >= margin, name + " beats " + other + " by " + margin + " on seed " + SEEDS[i] + ": " + line);
        }
    }

    /**
     * A spec that writes no tuning option (the same fields and layers) gets the FM term, the field gates,
     * unknown values and the default rates, and beats the spec that turns them off on every draw.
     */
    @Test
    void aPlainSpecLearnsTheInteractionWithoutAskingForIt() {
        double[] plain = runAll(FeatureSpec.parse(TestSpecs.PLANTED_PLAIN));
        assertBeats("plain spec", plain, "widedeep without the defaults", joint(), 0.01);
    }

    /**
     * The FM term's pair weights find the pairs of fields that interact. On every draw (clamp 4):
     * with the attribute interaction, (item, user attribute) and (user attribute, item attribute) end
     * above 3.5 and above every other pair (measured 3.99-4.0; the others 0.07-1.8); on the same
     * stream without it, (user attribute, item attribute) ends at least 2 lower (0.60-1.11), while
     * (region, item), planted in both, ends above 3 (3.94-4.0).
     */
    @Test
    void theFmPairWeightsFindThePairThatInteracts() {
        FeatureSpec spec = FeatureSpec.parse(TestSpecs.PLANTED_PLAIN);
        int pair = 5; // pairs in order (0,1) (0,2) (0,3) (1,2) (1,3) (2,3): uattr is field 2, iattr 3
        for (long seed : SEEDS) {
            float[] with = train(spec, N, seed, 1.2).model().interactionGates();
            float[] without = train(spec, N, seed, 0).model().interactionGates();
            String msg = "seed " + seed + ": with the interaction " + Arrays.toString(with) + ", without " + Arrays.toString(without);
            System.out.println("FM pair weights, " + msg);
            float a = with[3], b = with[5]; // item x uattr and uattr x iattr: both carry the interaction (the item fixes iattr)
            for (int p : new int[] {0, 1, 2, 4}) assertTrue(a > with[p] && b > with[p], msg);
            assertTrue(a > 3.5f && b > 3.5f, msg);
            assertTrue(without[pair] < b - 2, "without the interaction its pair stays low: " + msg);
            assertTrue(without[0] > 3, "region x item, planted in both streams, is found in both: " + msg);
        }
    }

    @Test
    void theDeepPartAloneLearnsWhatTheWidePartCannot() {
        FeatureSpec spec = FeatureSpec.parse(SPEC);
        assertBeats("deep", runAll(spec.variant("deep")), "wide", runAll(spec.variant("wide")), 0.05);
    }

    @Test
    void theFmTermLearnsTheInteractionOnEverySeed() {
        // the (user attribute x item attribute) effect is a rank-3 inner product: exactly the FM's pairwise form
        FeatureSpec spec = FeatureSpec.parse(SPEC);
        double[] fm = runAll(spec.variant("deepfm"));
        assertBeats("deepfm", fm, "widedeep", joint(), 0.005);
        assertBeats("deepfm", fm, "deep", runAll(spec.variant("deep")), 0.02);
    }

    @Test
    void fieldGatesKeepTheDeepPartWhereItMatters() {
        // gates learning from the first example slow the wide part's early fit, and the deep part then never
        // leaves its start (the wide part's figure); after the warm-up the deep part is intact
        FeatureSpec gated = FeatureSpec.parse(SPEC.replace("\"hash_bits\": 0", "\"hash_bits\": 24, \"field_gates\": true"));
        assertBeats("with field gates", runAll(gated), "widedeep", joint(), 0.005);
    }

    /**
     * With the MLP's gradient clipped by its norm (the format's default {@code clip_norm} 1), the joint
     * model's deep part learns beside the wide part on every draw. Without clipping it stalled on two of
     * three (seeds 1 and 2: widedeep 0.456 / 0.512 against deep alone 0.448 / 0.437, the second no better
     * than wide alone): an early step large enough to leave the hidden units where they no longer learn.
     */
    @Test
    void wideAndDeepBeatsBothHalvesOnEverySeed() {
        FeatureSpec spec = FeatureSpec.parse(SPEC);
        assertBeats("widedeep", joint(), "deep", runAll(spec.variant("deep")), 0.005);
        assertBeats("widedeep", joint(), "wide", runAll(spec.variant("wide")), 0.05);
    }

    /**
     * Cross layers help on two draws and lose on the third (seed 1: dcn 0.476 against widedeep 0.433,
     * with clipping). Kept, disabled, as an open question of the interaction layers (the best-learner issue).
     */
    @Test
    @Disabled("dcn loses to widedeep on seed 1 (0.476 vs 0.433)")
    void crossLayersHelpOnEverySeed() {
        assertBeats("dcn", runAll(FeatureSpec.parse(SPEC).variant("dcn")), "widedeep", joint(), 0.0);
    }
}
