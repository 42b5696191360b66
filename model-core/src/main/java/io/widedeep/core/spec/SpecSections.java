package io.widedeep.core.spec;

import io.widedeep.core.spec.FeatureSpec.CsvInput;
import io.widedeep.core.spec.FeatureSpec.DeepOptimizerType;
import io.widedeep.core.spec.FeatureSpec.FieldType;
import io.widedeep.core.spec.FeatureSpec.SourceKind;
import io.widedeep.core.spec.FeatureSpec.Transform;
import io.widedeep.core.spec.FeatureSpec.DeepOptimizer;
import io.widedeep.core.spec.FeatureSpec.Field;
import io.widedeep.core.spec.FeatureSpec.Ftrl;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Reads the sections of a spec that stand alone: fields, CSV input, the optimizers and the MLP's shape. For {@link FeatureSpec}. */
final class SpecSections {
    private SpecSections() {}

    /** The fields, in order; fills {@code byName} with each field's index. */
    static List<Field> parseFields(JsonConfig c, Map<String, Integer> byName) {
        List<JsonNode> nodes = c.array("fields");
        if (nodes.isEmpty()) {
            throw new SpecException("fields", "must list at least one field");
        }
        List<Field> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Field f = parseField(new JsonConfig(nodes.get(i), "fields[" + i + "]"), i);
            if (byName.put(f.name(), i) != null) {
                throw new SpecException("fields[" + i + "].name", "duplicate field name '" + f.name() + "'");
            }
            out.add(f);
        }
        return out;
    }

    static int[] parseHidden(JsonConfig deep) {
        List<JsonNode> nodes = deep.array("hidden");
        int[] out = new int[nodes.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode h = nodes.get(i);
            if (!h.isIntegralNumber() || h.asInt() < 1 || h.asInt() > 8192) {
                throw new SpecException("deep.hidden[" + i + "]", "must be an integer in [1, 8192], got " + h);
            }
            out[i] = h.asInt();
        }
        return out;
    }

    /** One of an enum's constants, written in lower case in the spec. */
    static <E extends Enum<E>> E choice(JsonConfig section, String name, E dflt) {
        String v = section.string(name, dflt.name().toLowerCase());
        for (E e : dflt.getDeclaringClass().getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) return e;
        }
        List<String> allowed = Arrays.stream(dflt.getDeclaringClass().getEnumConstants()).map(e -> e.name().toLowerCase()).toList();
        throw new SpecException(section.key(name), "must be one of " + allowed + ", got '" + v + "'");
    }

    static Ftrl parseFtrl(JsonConfig f) {
        Ftrl ftrl = new Ftrl(f.number("alpha", 0.05, 1e-9, 1e6), f.number("beta", 1.0, 0, 1e6),
                f.number("l1", 0.1, 0, 1e6), f.number("l2", 1.0, 0, 1e6), f.number("bias_alpha", 0.05, 1e-9, 1e6));
        f.rejectUnknown();
        return ftrl;
    }

    static DeepOptimizer parseDeepOptimizer(JsonConfig d) {
        DeepOptimizerType t = choice(d, "type", DeepOptimizerType.ADAGRAD);
        boolean adamLike = t == DeepOptimizerType.ADAM || t == DeepOptimizerType.ADAMW;
        DeepOptimizer o = new DeepOptimizer(t,
                d.number("learning_rate", adamLike || t == DeepOptimizerType.RMSPROP ? 1e-3 : 0.01, 1e-12, 100),
                d.number("initial_accumulator", 0.1, 0, 1e6),
                d.number("epsilon", adamLike || t == DeepOptimizerType.RMSPROP ? 1e-8 : 1e-10, 0, 1),
                d.number("beta1", 0.9, 0, 0.999999), d.number("beta2", 0.999, 0, 0.9999999),
                d.number("weight_decay", t == DeepOptimizerType.ADAMW ? 0.01 : 0, 0, 1),
                d.number("rho", 0.9, 0, 0.999999),
                d.number("clip_norm", 1.0, 0, 1e9));
        if (t != DeepOptimizerType.ADAMW && d.has("weight_decay")) {
            throw new SpecException("deep_optimizer.weight_decay", "is AdamW's; set type adamw (Adam's L2 would be rescaled by its step sizes)");
        }
        d.rejectUnknown();
        return o;
    }

    static Field parseField(JsonConfig fc, int index) {
        String name = fc.string("name", null);
        String source = fc.string("source", null);
        FieldType type = choice(fc, "type", FieldType.CATEGORICAL);
        String typeText = type.name().toLowerCase();
        SourceKind kind;
        String key = null;
        if (source.equals("user_id")) {
            kind = SourceKind.USER_ID;
        } else if (source.equals("item_id")) {
            kind = SourceKind.ITEM_ID;
        } else if (source.startsWith("context.") && source.length() > 8) {
            kind = SourceKind.CONTEXT;
            key = source.substring(8);
        } else if (source.startsWith("numeric.") && source.length() > 8) {
            kind = SourceKind.NUMERIC;
            key = source.substring(8);
        } else {
            kind = switch (source) {
                case "history.recent_items" -> SourceKind.RECENT_ITEMS;
                case "history.recent_categories" -> SourceKind.RECENT_CATEGORIES;
                case "history.impressions" -> SourceKind.HISTORY_IMPRESSIONS;
                case "history.clicks" -> SourceKind.HISTORY_CLICKS;
                case "history.ctr" -> SourceKind.HISTORY_CTR;
                default -> throw new SpecException(fc.key("source"), "unknown source '" + source
                        + "' (user_id, item_id, context.KEY, numeric.KEY, history.recent_items, "
                        + "history.recent_categories, history.impressions, history.clicks, history.ctr)");
            };
        }
        boolean needsNumericSource = type != FieldType.CATEGORICAL;
        if (needsNumericSource != kind.numeric) {
            throw new SpecException(fc.key("source"), "'" + source + "' cannot feed a " + typeText + " field");
        }
        Transform transform = choice(fc, "transform", Transform.NONE);
        double[] boundaries = new double[0];
        if (type == FieldType.BUCKETIZE) {
            List<JsonNode> b = fc.array("boundaries");
            if (b.isEmpty()) {
                throw new SpecException(fc.key("boundaries"), "bucketize needs at least one boundary");
            }
            boundaries = new double[b.size()];
            for (int i = 0; i < b.size(); i++) {
                if (!b.get(i).isNumber()) {
                    throw new SpecException(fc.key("boundaries") + "[" + i + "]", "must be a number");
                }
                boundaries[i] = b.get(i).asDouble();
                if (i > 0 && boundaries[i] <= boundaries[i - 1]) {
                    throw new SpecException(fc.key("boundaries") + "[" + i + "]", "boundaries must increase strictly");
                }
            }
        }
        fc.rejectUnknown();
        return new Field(index, name, kind, key, type, transform, boundaries);
    }

    static CsvInput parseCsv(JsonConfig in) {
        String delim = in.string("delimiter", ",");
        if (delim.length() != 1) {
            throw new SpecException(in.key("delimiter"), "must be one character");
        }
        String fmt = in.string("time_format", "epoch_ms");
        if (!List.of("epoch_ms", "epoch_s", "iso", "row").contains(fmt)) {
            throw new SpecException(in.key("time_format"), "must be epoch_ms, epoch_s, iso or row, got '" + fmt + "'");
        }
        CsvInput csv = new CsvInput(delim.charAt(0), in.string("label", null), in.string("user", null),
                in.string("item", null), in.has("time") ? in.string("time", null) : null, fmt,
                in.strings("numeric"), in.strings("categorical"),
                in.has("positive_labels") ? in.strings("positive_labels") : List.of("1"),
                in.has("negative_labels") ? in.strings("negative_labels") : List.of("0"));
        if (csv.positiveLabels().isEmpty() || csv.negativeLabels().isEmpty()) {
            throw new SpecException(in.key(csv.positiveLabels().isEmpty() ? "positive_labels" : "negative_labels"),
                    "must list at least one value");
        }
        for (String v : csv.positiveLabels()) {
            if (csv.negativeLabels().contains(v)) {
                throw new SpecException(in.key("negative_labels"), "'" + v + "' is also a positive label");
            }
        }
        in.rejectUnknown();
        return csv;
    }
}
