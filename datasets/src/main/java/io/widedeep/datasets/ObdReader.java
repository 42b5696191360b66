package io.widedeep.datasets;

import io.widedeep.schemas.ClickEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.HashMap;
import java.util.Map;

/**
 * Open Bandit Dataset logs ({@code {policy}/{campaign}/{campaign}.csv}, Saito et al. 2021), joined
 * with the {@code item_context.csv} beside them. OBD has no user id: the user is the tuple of the
 * four hashed user features (a user segment). Context: position, user and item categorical features;
 * numerics: {@code item_feature_0}, the user-item affinity of the shown item and the propensity score.
 */
public final class ObdReader extends LineReader {
    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .appendPattern("xxx").toFormatter();

    private final Map<String, String[]> itemFeatures = new HashMap<>();
    private String[] names;
    private int affinityStart;

    public ObdReader(Path path) throws IOException {
        super(path, true);
        Path items = path.resolveSibling("item_context.csv");
        if (!Files.exists(items)) {
            throw new IOException("OBD log " + path + " needs item_context.csv beside it");
        }
        try (BufferedReader in = Files.newBufferedReader(items, StandardCharsets.UTF_8)) {
            in.readLine();
            for (String line; (line = in.readLine()) != null; ) {
                String[] f = split(line, ',', 6);
                if (f.length != 6) throw new IOException(items + ": expected 6 columns, got " + f.length);
                itemFeatures.put(f[1], f);
            }
        }
    }

    @Override
    protected void header(String line) {
        if (line == null) throw new IllegalArgumentException("empty OBD file");
        names = split(line, ',', 60);
        if (names.length < 11 || !names[1].equals("timestamp") || !names[2].equals("item_id")
                || !names[4].equals("click") || !names[6].equals("user_feature_0")) {
            throw new IllegalArgumentException("not an Open Bandit log header: " + line.substring(0, Math.min(80, line.length())));
        }
        affinityStart = 10;
    }

    @Override
    protected ClickEvent parse(String line) {
        String[] f = split(line, ',', names.length);
        if (f.length != names.length) {
            throw new IllegalArgumentException("expected " + names.length + " columns, got " + f.length);
        }
        long time = OffsetDateTime.parse(f[1], TIME).toInstant().toEpochMilli();
        String item = f[2];
        String[] it = itemFeatures.get(item);
        if (it == null) throw new IllegalArgumentException("item " + item + " not in item_context.csv");
        Map<String, String> ctx = new HashMap<>(16);
        ctx.put("position", f[3]);
        for (int i = 0; i < 4; i++) ctx.put("user_feature_" + i, f[6 + i]);
        for (int i = 1; i <= 3; i++) ctx.put("item_feature_" + i, it[2 + i]);
        Map<String, Double> num = new HashMap<>(8);
        num.put("item_feature_0", Double.parseDouble(it[2]));
        num.put("propensity_score", Double.parseDouble(f[5]));
        int aff = affinityStart + Integer.parseInt(item);
        num.put("affinity", aff < f.length ? Double.parseDouble(f[aff]) : 0.0);
        String user = f[6] + "|" + f[7] + "|" + f[8] + "|" + f[9];
        return Events.labelled("obd" + f[0], user, item, time, ctx, num, Integer.parseInt(f[4]));
    }
}
