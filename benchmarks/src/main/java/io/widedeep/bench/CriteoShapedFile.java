package io.widedeep.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A stream in the Criteo layout (label, 13 integer fields, 26 hashed categorical fields, tab
 * separated) for the device check, which runs where no data is: long-tailed categorical values of
 * Criteo-like cardinalities, skewed counts, and a weak planted signal so that the learners have
 * something to find. Its figures say how fast a device trains, not how good a model is.
 */
final class CriteoShapedFile {
    private static final int[] CARDINALITY = {
        1_400, 550, 1_000_000, 200_000, 300, 24, 12_000, 600, 3, 90_000, 5_500, 800_000, 3_200, 27, 14_000,
        500_000, 10, 5_600, 2_200, 4, 700_000, 18, 15, 140_000, 100, 90_000};

    private CriteoShapedFile() {}

    static Path write(Path file, int rows, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (BufferedWriter out = Files.newBufferedWriter(file)) {
            StringBuilder line = new StringBuilder(512);
            for (int r = 0; r < rows; r++) {
                line.setLength(0);
                double logit = -1.4;
                int[] ints = new int[13];
                for (int i = 0; i < 13; i++) {
                    ints[i] = (int) Math.floor(Math.exp(rnd.nextDouble() * (2 + i % 5)) - 1);
                    logit += (i % 3 == 0 ? 0.08 : -0.04) * Math.log1p(ints[i]);
                }
                long[] cats = new long[26];
                for (int c = 0; c < 26; c++) {
                    // Zipf-like: the low ranks are most of the traffic, the tail is long
                    cats[c] = (long) Math.floor(Math.pow(CARDINALITY[c], Math.pow(rnd.nextDouble(), 2.5)));
                    if (cats[c] % 7 == c % 7) logit += 0.15;
                }
                int label = rnd.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
                line.append(label);
                for (int v : ints) line.append('\t').append(v);
                for (int c = 0; c < 26; c++) {
                    line.append('\t').append(String.format("%08x", (int) ((cats[c] + 1) * 0x9E3779B1L ^ c)));
                }
                out.append(line).append('\n');
            }
        }
        return file;
    }
}
