package io.widedeep.core.io;

import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A generic delimited file with a header row; the spec's {@code input} section names the label,
 * user, item and time columns and which columns are numeric or categorical context.
 */
public final class CsvReader extends LineReader {
    private final FeatureSpec.CsvInput in;
    private String[] names;
    private int label, user, item, time;
    private int[] numeric, categorical;

    public CsvReader(Path path, FeatureSpec spec) throws IOException {
        super(path, true);
        if (spec.csvInput() == null) {
            throw new IllegalArgumentException("the csv format needs an 'input' section in the spec");
        }
        this.in = spec.csvInput();
        label = col(in.label(), "input.label");
        user = col(in.user(), "input.user");
        item = col(in.item(), "input.item");
        time = in.time() == null ? -1 : col(in.time(), "input.time");
        numeric = cols(in.numeric(), "input.numeric");
        categorical = cols(in.categorical(), "input.categorical");
    }

    private String headerLine;

    @Override
    protected void header(String line) {
        if (line == null) throw new IllegalArgumentException("empty CSV file");
        headerLine = line;
    }

    private int col(String name, String key) {
        if (names == null) names = split(headerLine, spec().delimiter(), 16);
        for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return i;
        throw new IllegalArgumentException(key + ": no column '" + name + "' in the header");
    }

    private FeatureSpec.CsvInput spec() {
        return in;
    }

    private int[] cols(List<String> list, String key) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = col(list.get(i), key);
        return out;
    }

    @Override
    protected ClickEvent parse(String line) {
        String[] f = split(line, in.delimiter(), names.length);
        if (f.length != names.length) {
            throw new IllegalArgumentException("expected " + names.length + " columns, got " + f.length);
        }
        long t = switch (in.timeFormat()) {
            case "epoch_s" -> Long.parseLong(f[time]) * 1000;
            case "iso" -> Instant.parse(f[time]).toEpochMilli();
            case "row" -> row;
            default -> time < 0 ? row : Long.parseLong(f[time]);
        };
        Map<String, String> ctx = new HashMap<>();
        for (int c : categorical) ctx.put(names[c], f[c]);
        Map<String, Double> num = new HashMap<>();
        for (int c : numeric) {
            if (!f[c].isEmpty()) num.put(names[c], Double.parseDouble(f[c]));
        }
        int y = (int) Double.parseDouble(f[label]);
        if (y != 0 && y != 1) throw new IllegalArgumentException("label must be 0 or 1, got " + f[label]);
        return Events.labelled("row" + row, f[user], f[item], t, ctx, num, y);
    }
}
