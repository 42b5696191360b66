package io.widedeep.datasets;

import io.widedeep.schemas.ClickEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Criteo Display Advertising Challenge TSV: label, 13 integer features (I1..I13), 26 hashed
 * categoricals (C1..C26); empty means missing. Criteo identifies neither users nor items and has
 * no time column: user and item are "-", the event time is the row number (the file is in time order).
 * Integers become {@code numeric.I1..I13}, categoricals {@code context.C1..C26}.
 */
public final class CriteoReader extends LineReader {
    private static final String[] INT_NAMES = new String[13];
    private static final String[] CAT_NAMES = new String[26];

    static {
        for (int i = 0; i < 13; i++) INT_NAMES[i] = "I" + (i + 1);
        for (int i = 0; i < 26; i++) CAT_NAMES[i] = "C" + (i + 1);
    }

    public CriteoReader(Path path) throws IOException {
        super(path, false);
    }

    @Override
    protected ClickEvent parse(String line) {
        String[] f = split(line, '\t', 40);
        if (f.length != 40) {
            throw new IllegalArgumentException("expected 40 tab-separated columns, got " + f.length);
        }
        int label = Integer.parseInt(f[0]);
        if (label != 0 && label != 1) throw new IllegalArgumentException("label must be 0 or 1, got " + f[0]);
        Map<String, Double> num = new HashMap<>(20);
        for (int i = 0; i < 13; i++) {
            if (!f[1 + i].isEmpty()) num.put(INT_NAMES[i], Double.parseDouble(f[1 + i]));
        }
        Map<String, String> ctx = new HashMap<>(40);
        for (int i = 0; i < 26; i++) {
            if (!f[14 + i].isEmpty()) ctx.put(CAT_NAMES[i], f[14 + i]);
        }
        return Events.labelled("r" + row, "-", "-", row, ctx, num, label);
    }
}
