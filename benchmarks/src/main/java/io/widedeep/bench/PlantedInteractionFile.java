package io.widedeep.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A stream in the Criteo layout whose click probabilities are known, so that a learner's log loss can
 * be set against the Bayes-optimal one (the log loss of the true probabilities on the drawn labels).
 * Every kind of signal a recommender meets is planted, each in its own fields:
 *
 * <ul>
 *   <li>additive per-value effects in C5..C9 (what a linear model learns), Zipf-distributed values;
 *   <li>a sparse, arbitrary C1 (region) x C2 (item) effect that only a memorising cross can learn: the
 *       peers' features cross C1 with C2, as do the project's peer-feature specs;
 *   <li>a rank-3 interaction between a user attribute (C4) and an item attribute (C3, a function of
 *       the item): what an FM term or a deep part generalises and no wide cross in the peers' features has;
 *   <li>smooth effects of three numerics (I1..I3, log-scaled);
 *   <li>C10..C26 and I4..I13 carry nothing (noise the learner must learn to ignore).
 * </ul>
 *
 * The generator prints one JSON line: rows, CTR and the Bayes-optimal log loss and AUC of the file.
 */
public final class PlantedInteractionFile {
    private static final int ITEMS = 3_000, REGIONS = 40, ATTRS = 24, RANK = 3;
    private static final int[] ADDITIVE_CARD = {50, 300, 2_000, 10_000, 200};
    private static final int[] NOISE_CARD = {10, 30, 100, 1_000, 5_000, 20_000, 100_000, 3, 7, 500, 50_000, 200_000,
        40, 2_500, 15, 800, 60_000};

    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep gen-planted --out FILE [options]
            Writes a Criteo-layout stream with planted additive, memorisation (C1 x C2) and rank-3 interaction (C4 x C3)
            effects whose click probabilities are known; prints rows, CTR and the Bayes-optimal log loss and AUC.""")
            .table("""
                out    -           text      the file to write
                rows   1_000_000   1000..    rows to write
                seed   1           0..       draws the planted effects and the data
                """);

    private PlantedInteractionFile() {}

    public static void main(String[] argv) throws Exception {
        Settings args = CommandLine.parseOrExit("gen-planted", () -> OPTIONS.parse(argv));
        if (!args.has("out")) {
            System.err.println("gen-planted: --out is required");
            System.exit(2);
        }
        ObjectNode r = write(Path.of(args.string("out")), args.intValue("rows"), args.intValue("seed"));
        System.out.println(new ObjectMapper().writeValueAsString(r));
    }

    static ObjectNode write(Path file, int rows, long seed) throws IOException {
        SplittableRandom effects = new SplittableRandom(seed * 7919 + 3);
        double[][] additive = new double[ADDITIVE_CARD.length][];
        for (int f = 0; f < additive.length; f++) {
            additive[f] = new double[ADDITIVE_CARD[f]];
            for (int v = 0; v < ADDITIVE_CARD[f]; v++) additive[f][v] = 0.5 * effects.nextGaussian(0, 1);
        }
        boolean[][] regionItem = new boolean[REGIONS][ITEMS];
        for (boolean[] row : regionItem) {
            for (int i = 0; i < ITEMS; i++) row[i] = effects.nextDouble() < 0.05;
        }
        double[][] userFactor = new double[ATTRS][RANK];
        double[][] itemFactor = new double[ATTRS][RANK];
        for (int a = 0; a < ATTRS; a++) {
            for (int k = 0; k < RANK; k++) {
                userFactor[a][k] = effects.nextGaussian(0, 1);
                itemFactor[a][k] = effects.nextGaussian(0, 1);
            }
        }
        int[] itemAttr = new int[ITEMS];
        for (int i = 0; i < ITEMS; i++) itemAttr[i] = effects.nextInt(ATTRS);

        SplittableRandom rnd = new SplittableRandom(seed * 104_729 + 11);
        double[] p = new double[rows];
        byte[] y = new byte[rows];
        double loss = 0;
        long clicks = 0;
        try (BufferedWriter out = Files.newBufferedWriter(file)) {
            StringBuilder line = new StringBuilder(512);
            int[] ints = new int[13];
            int[] cats = new int[26];
            for (int r = 0; r < rows; r++) {
                double logit = -2.2;
                for (int i = 0; i < 13; i++) {
                    ints[i] = (int) Math.floor(Math.exp(rnd.nextDouble() * (2 + i % 5)) - 1);
                }
                logit += 0.25 * Math.log1p(ints[0]) - 0.2 * Math.log1p(ints[1]) + 0.3 * Math.sin(Math.log1p(ints[2]));
                int region = rnd.nextInt(REGIONS);
                int item = zipf(rnd, ITEMS, 1.8);
                int userAttr = rnd.nextInt(ATTRS);
                cats[0] = region;
                cats[1] = item;
                cats[2] = itemAttr[item];
                cats[3] = userAttr;
                if (regionItem[region][item]) logit += 1.5;
                double dot = 0;
                for (int k = 0; k < RANK; k++) dot += userFactor[userAttr][k] * itemFactor[itemAttr[item]][k];
                logit += 0.6 * dot;
                for (int f = 0; f < ADDITIVE_CARD.length; f++) {
                    cats[4 + f] = zipf(rnd, ADDITIVE_CARD[f], 2.0);
                    logit += additive[f][cats[4 + f]];
                }
                for (int f = 0; f < NOISE_CARD.length; f++) cats[9 + f] = zipf(rnd, NOISE_CARD[f], 2.0);
                double pr = 1 / (1 + Math.exp(-logit));
                int label = rnd.nextDouble() < pr ? 1 : 0;
                p[r] = pr;
                y[r] = (byte) label;
                clicks += label;
                loss -= label == 1 ? Math.log(pr) : Math.log1p(-pr);
                line.setLength(0);
                line.append(label);
                for (int v : ints) line.append('\t').append(v);
                for (int c = 0; c < 26; c++) {
                    line.append('\t').append(String.format("%08x", (int) ((cats[c] + 1) * 0x9E3779B1L ^ (c * 0x85EBCA6BL))));
                }
                out.append(line).append('\n');
            }
        }
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("file", file.toString());
        r.put("rows", rows);
        r.put("seed", seed);
        r.put("ctr", (double) clicks / rows);
        r.put("bayes_logloss", loss / rows);
        r.put("bayes_auc", auc(p, y));
        return r;
    }

    /** A value in [0, n) drawn as {@link CriteoShapedFile} draws its values: the low ones are most of the traffic, the tail is long. */
    private static int zipf(SplittableRandom rnd, int n, double exponent) {
        return (int) Math.floor(Math.pow(n, Math.pow(rnd.nextDouble(), exponent))) - 1;
    }

    private static double auc(double[] p, byte[] y) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b]));
        double rankSum = 0;
        long pos = 0;
        for (int i = 0; i < order.length; ) {
            int j = i;
            while (j < order.length && p[order[j]] == p[order[i]]) j++;
            double midRank = (i + j + 1) / 2.0; // ranks are 1-based; ties share their mean rank
            for (int k = i; k < j; k++) {
                if (y[order[k]] == 1) {
                    rankSum += midRank;
                    pos++;
                }
            }
            i = j;
        }
        long neg = p.length - pos;
        return pos == 0 || neg == 0 ? Double.NaN : (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
