package io.widedeep.datasets;

import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A generic delimited file with a header row, read by Apache Commons CSV (RFC 4180: quoted fields
 * may hold the delimiter, line breaks and doubled quotes). The spec's {@code input} section names
 * the label, user, item and time columns and which columns are numeric or categorical context.
 * Labels must be one of {@code input.positive_labels} (default "1") or {@code input.negative_labels}
 * (default "0"); anything else, like a malformed number or a short row, fails with file and line.
 */
public final class CsvReader implements EventReader {
    private final Path path;
    private final FeatureSpec.CsvInput in;
    private final Reader reader;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private final int columns;
    private final String[] names;
    private final int label, user, item, time;
    private final int[] numeric, categorical;
    private long row;

    public CsvReader(Path path, FeatureSpec spec) throws IOException {
        if (spec.csvInput() == null) {
            throw new IllegalArgumentException("the csv format needs an 'input' section in the spec");
        }
        this.path = path;
        this.in = spec.csvInput();
        this.reader = Files.newBufferedReader(path, StandardCharsets.UTF_8);
        this.parser = CSVFormat.RFC4180.builder().setDelimiter(in.delimiter()).setIgnoreEmptyLines(true).get().parse(reader);
        this.records = parser.iterator();
        if (!records.hasNext()) {
            throw new IllegalArgumentException(path + ": empty CSV file (a header row is required)");
        }
        CSVRecord header = records.next();
        this.columns = header.size();
        this.names = header.values();
        label = col(in.label(), "input.label");
        user = col(in.user(), "input.user");
        item = col(in.item(), "input.item");
        time = in.time() == null ? -1 : col(in.time(), "input.time");
        numeric = cols(in.numeric(), "input.numeric");
        categorical = cols(in.categorical(), "input.categorical");
    }

    private int col(String name, String key) {
        for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return i;
        throw new IllegalArgumentException(key + ": no column '" + name + "' in the header of " + path);
    }

    private int[] cols(List<String> list, String key) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = col(list.get(i), key);
        return out;
    }

    @Override
    public boolean hasNext() {
        try {
            return records.hasNext();
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(path + ":" + parser.getCurrentLineNumber() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ClickEvent next() {
        if (!hasNext()) throw new NoSuchElementException();
        CSVRecord r = records.next();
        try {
            return parse(r);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(path + ":" + r.getParser().getCurrentLineNumber() + ": " + e.getMessage(), e);
        }
    }

    private ClickEvent parse(CSVRecord r) {
        if (r.size() != columns) {
            throw new IllegalArgumentException("expected " + columns + " columns, got " + r.size());
        }
        long t = switch (in.timeFormat()) {
            case "epoch_s" -> Long.parseLong(r.get(time)) * 1000;
            case "iso" -> Instant.parse(r.get(time)).toEpochMilli();
            case "row" -> row;
            default -> time < 0 ? row : Long.parseLong(r.get(time));
        };
        Map<String, String> ctx = new HashMap<>();
        for (int c : categorical) ctx.put(names[c], r.get(c));
        Map<String, Double> num = new HashMap<>();
        for (int c : numeric) {
            String v = r.get(c);
            if (!v.isEmpty()) num.put(names[c], Double.parseDouble(v));
        }
        String l = r.get(label);
        int y;
        if (in.positiveLabels().contains(l)) {
            y = 1;
        } else if (in.negativeLabels().contains(l)) {
            y = 0;
        } else {
            throw new IllegalArgumentException("label '" + l + "' in column " + names[label] + " is neither "
                    + in.positiveLabels() + " (click) nor " + in.negativeLabels() + " (no click)");
        }
        return Events.labelled("row" + row++, r.get(user), r.get(item), t, ctx, num, y);
    }

    @Override
    public void close() throws IOException {
        parser.close();
        reader.close();
    }
}
