package io.widedeep.core.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The declarative description of a Wide &amp; Deep model: which fields an event yields and how, which
 * of them (and which crosses) feed the wide part, which feed the deep part, layer sizes and optimizer
 * settings. Parsed from JSON; anything invalid fails with a {@link SpecException} naming the key.
 *
 * <p>Field sources: {@code user_id}, {@code item_id}, {@code context.KEY} (categorical context),
 * {@code numeric.KEY} (numeric context), and the user's history kept by {@code UserHistory}:
 * {@code history.recent_items}, {@code history.recent_categories} (multi-valued categorical),
 * {@code history.impressions}, {@code history.clicks}, {@code history.ctr} (numeric).
 */
public final class FeatureSpec {

    public enum FieldType { CATEGORICAL, NUMERIC, BUCKETIZE }

    public enum Transform { NONE, LOG1P }

    public enum SourceKind {
        USER_ID(false, false), ITEM_ID(false, false), CONTEXT(false, false), NUMERIC(true, false),
        RECENT_ITEMS(false, true), RECENT_CATEGORIES(false, true),
        HISTORY_IMPRESSIONS(true, false), HISTORY_CLICKS(true, false), HISTORY_CTR(true, false);

        public final boolean numeric;
        public final boolean multiValued;

        SourceKind(boolean numeric, boolean multiValued) {
            this.numeric = numeric;
            this.multiValued = multiValued;
        }
    }

    /** One named field. {@code index} is its position in {@link #fields()}. */
    public record Field(int index, String name, SourceKind kind, String sourceKey, FieldType type,
                        Transform transform, double[] boundaries) {
        public boolean categorical() {
            return type != FieldType.NUMERIC;
        }
    }

    /** FTRL settings of the wide weights; the bias uses {@code biasAlpha} and no L1. */
    public record Ftrl(double alpha, double beta, double l1, double l2, double biasAlpha) {}

    public enum DeepOptimizerType { ADAGRAD, ADAM, ADAMW, RMSPROP }

    /**
     * An explicit feature-interaction term beside the MLP. {@code FM}: the factorisation machine's
     * pairwise term over the deep fields' embeddings, as in DeepFM (Guo et al., IJCAI 2017).
     * {@code CROSS}: {@code cross_layers} cross layers on the MLP's input, as in DCN-v2 (Wang et al.,
     * "DCN V2: Improved Deep &amp; Cross Network", WWW 2021), stacked before the MLP.
     */
    public enum Interaction { NONE, FM, CROSS }

    /** Normalisation of the MLP's hidden layers: {@code LAYER} is layer normalisation (Ba et al. 2016) before each activation. */
    public enum Normalization { NONE, LAYER }

    /**
     * The deep part's optimizer; {@code weightDecay} is AdamW's, {@code rho} RMSprop's; {@code clipNorm}
     * (0: off) clips the MLP's gradient by its L2 norm before each step.
     */
    public record DeepOptimizer(DeepOptimizerType type, double learningRate, double initialAccumulator,
                                double epsilon, double beta1, double beta2, double weightDecay, double rho,
                                double clipNorm) {}

    /**
     * The intercept's prior: the CTR assumed before any example, worth {@code weight} examples, and the
     * half-life (in examples, 0 = never) after which an example's weight in the base rate halves.
     */
    public record BaseRatePrior(double ctr, double weight, double halfLife, double counterPrior) {}

    /** Mapping of a generic CSV file's columns to an event. */
    public record CsvInput(char delimiter, String label, String user, String item, String time,
                           String timeFormat, List<String> numeric, List<String> categorical,
                           List<String> positiveLabels, List<String> negativeLabels) {}

    private final String json;
    private final List<Field> fields;
    private final int[] wideFields;
    private final int[][] crosses;
    private final int hashBits;
    private final boolean wideUnknownValues;
    private final double fieldGateLearningRate;
    private final long fieldGateWarmup;
    private final long wideExpireAfterMs;
    private final int[] deepFields;
    private final int[] embeddingDims;
    private final int[] numericFields;
    private final int[] hidden;
    private final int minCount;
    private final long embeddingExpireAfterMs;
    private final Interaction interaction;
    private final boolean interactionGate;
    private final Activation activation;
    private final Normalization normalization;
    private final double dropout;
    private final int crossLayers;
    private final Ftrl ftrl;
    private final DeepOptimizer deepOptimizer;
    private final int batchSize;
    private final long seed;
    private final BaseRatePrior baseRate;
    private final int historyMaxItems;
    private final String historyCategoryKey;
    private final CsvInput csvInput;

    private FeatureSpec(JsonNode root) {
        this.json = root.toString();
        JsonConfig c = new JsonConfig(root, "");

        Map<String, Integer> byName = new HashMap<>();
        fields = SpecSections.parseFields(c, byName);
        FieldNames names = new FieldNames(fields, byName);

        JsonConfig wide = c.object("wide");
        wideFields = names.resolve(wide, "fields", true);
        crosses = names.crosses(wide);
        hashBits = wide.integer("hash_bits", 24, 0, 62);
        wideUnknownValues = wide.bool("unknown_values", true);
        fieldGateLearningRate = parseFieldGates(wide);
        fieldGateWarmup = fieldGateLearningRate > 0 ? wide.longValue("gate_warmup", 20_000, 0) : 0;
        wideExpireAfterMs = wide.longValue("expire_after_ms", 0, 0);
        wide.rejectUnknown();

        JsonConfig deep = c.object("deep");
        deepFields = names.resolve(deep, "fields", true);
        embeddingDims = parseEmbeddingDims(deep);
        numericFields = names.resolve(deep, "numeric", false);
        hidden = SpecSections.parseHidden(deep);
        if ((deepFields.length > 0 || numericFields.length > 0) && hidden.length == 0) {
            throw new SpecException("deep.hidden", "must list at least one layer size when deep inputs are set");
        }
        minCount = deep.integer("min_count", 0, 0, 1_000_000);
        embeddingExpireAfterMs = deep.longValue("expire_after_ms", 0, 0);
        activation = SpecSections.choice(deep, "activation", Activation.RELU);
        dropout = deep.number("dropout", 0, 0, 0.9);
        normalization = SpecSections.choice(deep, "normalization", Normalization.NONE);
        interaction = deep.has("interaction") ? SpecSections.choice(deep, "interaction", Interaction.NONE) : defaultInteraction();
        if (interaction == Interaction.FM) {
            requireOneEmbeddingSize();
        }
        crossLayers = parseCrossLayers(deep);
        if (interaction != Interaction.FM && deep.has("interaction_gate")) {
            throw new SpecException("deep.interaction_gate", "needs \"interaction\": \"fm\"");
        }
        interactionGate = interaction == Interaction.FM && deep.bool("interaction_gate", true);
        deep.rejectUnknown();
        if (wideFields.length == 0 && crosses.length == 0 && deepFields.length == 0 && numericFields.length == 0) {
            throw new SpecException("wide", "neither wide nor deep has any input");
        }

        ftrl = SpecSections.parseFtrl(c.object("ftrl"));
        deepOptimizer = SpecSections.parseDeepOptimizer(c.object("deep_optimizer"));

        JsonConfig tr = c.object("training");
        batchSize = tr.integer("batch_size", 256, 1, 65536);
        seed = tr.longValue("seed", 1, Long.MIN_VALUE);
        baseRate = new BaseRatePrior(tr.number("prior_ctr", 0.5, 1e-6, 1 - 1e-6),
                tr.number("prior_weight", 1.0, 1e-6, 1e9), tr.number("base_rate_half_life", 1e6, 0, 1e15),
                tr.number("counter_prior", 0.99, 0, 0.999999));
        tr.rejectUnknown();

        JsonConfig h = c.object("history");
        historyMaxItems = h.integer("max_items", 20, 0, 1000);
        historyCategoryKey = parseHistoryCategory(h);
        h.rejectUnknown();

        csvInput = c.has("input") ? SpecSections.parseCsv(c.object("input")) : null;
        c.rejectUnknown();
    }

    /** {@code wide.field_gates} and {@code wide.gate_learning_rate}: the gates' learning rate, 0 when off. */
    private double parseFieldGates(JsonConfig wide) {
        double rate = wide.number("gate_learning_rate", 0.2, 1e-6, 10);
        boolean gateable = hashBits >= 1 && hashBits <= MAX_GATED_HASH_BITS;
        if (!wide.bool("field_gates", gateable)) {
            for (String key : new String[] {"gate_learning_rate", "gate_warmup"}) {
                if (wide.has(key)) throw new SpecException("wide." + key, "needs \"field_gates\": true");
            }
            return 0;
        }
        if (hashBits < 1 || hashBits > MAX_GATED_HASH_BITS) {
            // a gated key carries its group in the bits above the hash (see FeatureExtractor)
            throw new SpecException("wide.field_gates", "needs hash_bits between 1 and " + MAX_GATED_HASH_BITS + ", got " + hashBits);
        }
        return rate;
    }

    /** Largest {@code hash_bits} with {@code field_gates}: keys keep bits 48-62 for their group. */
    public static final int MAX_GATED_HASH_BITS = 48;

    /** {@code deep.embedding_dims}: per deep field, its own size or {@code embedding_dim}. */
    private int[] parseEmbeddingDims(JsonConfig deep) {
        int defaultDim = deep.integer("embedding_dim", 16, 1, 1024);
        JsonConfig dims = deep.object("embedding_dims");
        int[] out = new int[deepFields.length];
        for (int i = 0; i < deepFields.length; i++) {
            out[i] = dims.integer(fields.get(deepFields[i]).name(), defaultDim, 1, 1024);
        }
        dims.rejectUnknown();
        return out;
    }

    /** {@code deep.cross_layers}: only with cross interaction (0 otherwise). */
    private int parseCrossLayers(JsonConfig deep) {
        if (interaction != Interaction.CROSS && deep.has("cross_layers")) {
            throw new SpecException("deep.cross_layers", "needs \"interaction\": \"cross\"");
        }
        return interaction == Interaction.CROSS ? deep.integer("cross_layers", 2, 1, 8) : 0;
    }

    /** The context key of {@code history.category_source} (null if none); required when a field reads recent categories. */
    private String parseHistoryCategory(JsonConfig h) {
        String cat = h.has("category_source") ? h.string("category_source", null) : null;
        if (cat != null && !cat.startsWith("context.")) {
            throw new SpecException("history.category_source", "must be context.KEY, got '" + cat + "'");
        }
        for (Field fl : fields) {
            if (fl.kind() == SourceKind.RECENT_CATEGORIES && cat == null) {
                throw new SpecException("history.category_source",
                        "is required because field '" + fl.name() + "' uses history.recent_categories");
            }
        }
        return cat == null ? null : cat.substring("context.".length());
    }

    /**
     * Without {@code deep.interaction}: the FM term wherever it can be formed (two or more deep fields
     * of one embedding size), since where attributes interact it learns what the MLP is slow to, and
     * where they do not its pairs stay near zero (see the README's defaults table); else none.
     */
    private Interaction defaultInteraction() {
        if (deepFields.length < 2) return Interaction.NONE;
        for (int dim : embeddingDims) {
            if (dim != embeddingDims[0]) return Interaction.NONE;
        }
        return Interaction.FM;
    }

    /** The FM term pairs embeddings element by element, so every deep field needs one size. */
    private void requireOneEmbeddingSize() {
        if (deepFields.length < 2) {
            throw new SpecException("deep.interaction", "fm needs at least two deep fields");
        }
        for (int i = 1; i < deepFields.length; i++) {
            if (embeddingDims[i] != embeddingDims[0]) {
                throw new SpecException("deep.embedding_dims", "fm needs one embedding size for all deep fields, got "
                        + embeddingDims[0] + " for " + fields.get(deepFields[0]).name() + " and " + embeddingDims[i]
                        + " for " + fields.get(deepFields[i]).name());
            }
        }
    }

    // ---- construction ----

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static FeatureSpec parse(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new SpecException("(root)", "not valid JSON: " + e.getMessage());
        }
        return new FeatureSpec(root);
    }

    public static FeatureSpec load(Path path) {
        try {
            return parse(Files.readString(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spec " + path, e);
        }
    }

    /** A spec shipped with widedeep, e.g. {@code criteo}, {@code obd}. */
    public static FeatureSpec builtIn(String name) {
        try (InputStream in = FeatureSpec.class.getResourceAsStream("/specs/" + name + ".json")) {
            if (in == null) {
                throw new SpecException("spec", "no built-in spec named '" + name + "'");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The same spec with one part switched off: {@code wide} drops the deep inputs, {@code deep} drops
     * the wide ones, {@code widedeep} keeps both. Used for the baselines of the benchmark.
     */
    public FeatureSpec variant(String model) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var obj = (ObjectNode) root;
        switch (model) {
            case "widedeep" -> { return this; }
            case "wide" -> obj.remove("deep");
            case "deep" -> obj.remove("wide");
            case "deepfm" -> ((ObjectNode) obj.withObject("/deep")).put("interaction", "fm");
            case "dcn" -> ((ObjectNode) obj.withObject("/deep")).put("interaction", "cross");
            default -> throw new SpecException("model", "must be widedeep, wide, deep, deepfm or dcn, got '" + model + "'");
        }
        return new FeatureSpec(root);
    }

    /**
     * The same spec with one option set: {@code key} is its dotted path ({@code deep.interaction},
     * {@code ftrl.l1}), {@code value} JSON (a number, true/false, an array) or else a string. What a
     * benchmark's {@code --set} uses to vary one setting of a spec file.
     */
    public FeatureSpec with(String key, String value) {
        String[] path = key.split("\\.");
        if (path.length < 2 || Arrays.stream(path).anyMatch(String::isEmpty)) {
            throw new SpecException(key, "must be SECTION.OPTION, e.g. deep.interaction");
        }
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(json);
            ObjectNode at = root;
            for (int i = 0; i < path.length - 1; i++) at = at.withObject("/" + path[i]);
            JsonNode v;
            try {
                v = MAPPER.readTree(value);
            } catch (IOException notJson) {
                v = null;
            }
            at.set(path[path.length - 1], v == null || v.isMissingNode() ? MAPPER.getNodeFactory().textNode(value) : v);
            return new FeatureSpec(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same spec with another {@code training.batch_size}. */
    public FeatureSpec withBatchSize(int batchSize) {
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(json);
            ((ObjectNode) root.withObject("/training")).put("batch_size", batchSize);
            return new FeatureSpec(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- accessors ----

    public String json() { return json; }
    public List<Field> fields() { return fields; }
    public Field field(int i) { return fields.get(i); }
    public int[] wideFields() { return wideFields; }
    public int[][] crosses() { return crosses; }
    public int hashBits() { return hashBits; }
    /** {@code wide.unknown_values}: a field's value without a wide weight of its own falls back to the field's "unknown value" weight. */
    public boolean wideUnknownValues() { return wideUnknownValues; }
    /** {@code wide.field_gates}: one learned weight per wide field and per cross scales its weights' sum. */
    public boolean fieldGates() { return fieldGateLearningRate > 0; }
    public double fieldGateLearningRate() { return fieldGateLearningRate; }
    /** Examples a new model trains before its gates move ({@code wide.gate_warmup}). */
    public long fieldGateWarmup() { return fieldGateWarmup; }
    /** Wide groups: the wide fields, then the crosses (what {@link #fieldGates} weighs). */
    public int wideGroups() { return wideFields.length + crosses.length; }
    public long wideExpireAfterMs() { return wideExpireAfterMs; }
    public int[] deepFields() { return deepFields; }
    public int[] embeddingDims() { return embeddingDims; }
    public int[] numericFields() { return numericFields; }
    public int[] hidden() { return hidden; }
    public int minCount() { return minCount; }
    public long embeddingExpireAfterMs() { return embeddingExpireAfterMs; }
    public Interaction interaction() { return interaction; }
    /** {@code deep.interaction_gate}: a learned weight on the FM term (on with it unless turned off). */
    public boolean interactionGate() { return interactionGate; }
    public Activation activation() { return activation; }
    public Normalization normalization() { return normalization; }
    /** Dropout rate of the hidden layers in training (0: off). */
    public double dropout() { return dropout; }
    /** DCN-v2 cross layers before the MLP (0 unless the interaction is {@code cross}). */
    public int crossLayers() { return crossLayers; }
    public Ftrl ftrl() { return ftrl; }
    public DeepOptimizer deepOptimizer() { return deepOptimizer; }
    public int batchSize() { return batchSize; }
    public long seed() { return seed; }
    public BaseRatePrior baseRate() { return baseRate; }
    public int historyMaxItems() { return historyMaxItems; }
    public String historyCategoryKey() { return historyCategoryKey; }
    public CsvInput csvInput() { return csvInput; }

    /** Whether any field is derived from the user's history (so histories must be kept). */
    public boolean usesHistory() {
        return fields.stream().anyMatch(f -> f.kind() == SourceKind.RECENT_ITEMS || f.kind() == SourceKind.RECENT_CATEGORIES
                || f.kind() == SourceKind.HISTORY_IMPRESSIONS || f.kind() == SourceKind.HISTORY_CLICKS
                || f.kind() == SourceKind.HISTORY_CTR);
    }

    public boolean hasWide() { return wideFields.length > 0 || crosses.length > 0; }
    public boolean hasDeep() { return deepFields.length > 0 || numericFields.length > 0; }

    /** Width of the MLP input: concatenated embeddings then normalised numerics. */
    public int deepInputWidth() {
        return Arrays.stream(embeddingDims).sum() + numericFields.length;
    }

    /**
     * The revision of the defaults an unwritten option takes. It is part of the {@link #fingerprint}: the
     * same text under other defaults is another model, so a snapshot or checkpoint written under earlier
     * defaults is refused (naming both fingerprints) instead of being read with the wrong layout.
     * Revision 2 turned on what the best-known settings are (unknown values, field gates, FTRL l1 0.1,
     * AdaGrad 0.01, the FM term, 24 hash bits).
     */
    public static final int DEFAULTS_REVISION = 2;

    /** A short fingerprint of the spec (its text and the defaults' revision), stored in snapshots so an update is never applied to another model. */
    public long fingerprint() {
        CRC32C crc = new CRC32C();
        crc.update(json.getBytes(StandardCharsets.UTF_8));
        crc.update(("\u0000defaults=" + DEFAULTS_REVISION).getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    /** Field names, in index order, for messages. */
    public Map<String, Integer> fieldIndex() {
        Map<String, Integer> m = new LinkedHashMap<>();
        fields.forEach(f -> m.put(f.name(), f.index()));
        return m;
    }
}
