package io.widedeep.core.features;

import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.spec.FeatureSpec.Field;
import io.widedeep.schemas.ClickEvent;
import java.util.Arrays;
import java.util.Map;

/**
 * Turns (event, user history) into one row of an {@link ExampleBatch}: value hashes of every
 * categorical field, transformed numerics, and the wide keys of single fields and of every cross.
 * The one implementation used by training and serving alike. With {@code wide.unknown_values}
 * every single-field wide key is followed by its field's "unknown value" key (sign bit set), which
 * the model counts only while the value's own weight is zero (see {@code WideDeepModel}).
 */
public final class FeatureExtractor {
    private static final long BUCKET_SEED = 0x5bd1e995L;
    private static final long MISSING = Hashing.string("\u0000missing");
    private static final long UNKNOWN_VALUE = Hashing.string("\u0000unknown");
    /** The sign bit marks a field's "unknown value" key; with {@code wide.unknown_values} no other key has it. */
    public static final long UNKNOWN_VALUE_FLAG = Long.MIN_VALUE;
    /** With {@code wide.field_gates} a key carries its group (wide field or cross) + 1 from this bit up. */
    public static final int GROUP_SHIFT = FeatureSpec.MAX_GATED_HASH_BITS;

    private final FeatureSpec spec;
    private final Field[] fields;
    private final long[] fieldSeeds;
    private final long[] crossSeeds;
    private final int[] wideFields;
    private final int[][] crosses;
    private final long wideMask;
    private final long[] unknownValueKeys; // per field, 0 when wide.unknown_values is off
    private final long[] fieldGroupTags; // per field, its group's bits when wide.field_gates is on, else 0
    private final long[] crossGroupTags;
    private final String categoryKey;
    private final int[] cursor; // scratch for cross enumeration
    // the last log1p input and result per field: a request's candidates share the user's numerics,
    // and Math.log1p is one of the costliest steps of scoring a row. Compared as bits (so -0 and 0 stay
    // apart); the initial pattern is a NaN, which no input is
    private final int[] log1pIn;
    private final float[] log1pOut;
    private final FieldValues mapValues; // the map form of extract resolves into this, per example

    public FeatureExtractor(FeatureSpec spec) {
        this.spec = spec;
        this.fields = spec.fields().toArray(new Field[0]);
        this.fieldSeeds = new long[fields.length];
        for (int i = 0; i < fields.length; i++) {
            fieldSeeds[i] = Hashing.string("field:" + fields[i].name());
        }
        this.crosses = spec.crosses();
        this.crossSeeds = new long[crosses.length];
        int maxArity = 0;
        for (int c = 0; c < crosses.length; c++) {
            StringBuilder sb = new StringBuilder("cross");
            for (int f : crosses[c]) sb.append(':').append(fields[f].name());
            crossSeeds[c] = Hashing.string(sb);
            maxArity = Math.max(maxArity, crosses[c].length);
        }
        this.cursor = new int[maxArity];
        this.log1pIn = new int[fields.length];
        this.log1pOut = new float[fields.length];
        Arrays.fill(log1pIn, 0x7fc0_0001);
        this.wideFields = spec.wideFields();
        long mask = spec.hashBits() == 0 ? -1L : (1L << spec.hashBits()) - 1;
        this.wideMask = spec.wideUnknownValues() ? mask & ~UNKNOWN_VALUE_FLAG : mask;
        this.fieldGroupTags = new long[fields.length];
        this.crossGroupTags = new long[crosses.length];
        if (spec.fieldGates()) {
            for (int g = 0; g < wideFields.length; g++) fieldGroupTags[wideFields[g]] = (g + 1L) << GROUP_SHIFT;
            for (int c = 0; c < crosses.length; c++) crossGroupTags[c] = (wideFields.length + c + 1L) << GROUP_SHIFT;
        }
        this.unknownValueKeys = new long[fields.length];
        if (spec.wideUnknownValues()) {
            for (int f : wideFields) {
                unknownValueKeys[f] = UNKNOWN_VALUE_FLAG | fieldGroupTags[f] | (Hashing.mix(fieldSeeds[f], UNKNOWN_VALUE) & wideMask);
            }
        }
        this.categoryKey = spec.historyCategoryKey();
        this.mapValues = newValues();
    }

    public FeatureSpec spec() {
        return spec;
    }

    /** The hash under which user histories remember an item. */
    public static long itemHash(String itemId) {
        return Hashing.string(itemId);
    }

    /** Updates a user's history with an event, after it has been turned into features. */
    public void updateHistory(UserHistory history, ClickEvent event, boolean clicked) {
        history.recordImpression(event.getEventTime());
        if (clicked) {
            recordClick(history, event, event.getEventTime());
        }
    }

    /** Records a click, at {@code time}, on the item of an impression (and on its category, if the spec names one). */
    public void recordClick(UserHistory history, ClickEvent impression, long time) {
        String cat = categoryKey == null ? null : impression.getContext().get(categoryKey);
        history.recordClick(itemHash(impression.getItemId()), cat == null ? 0 : Hashing.string(cat), cat != null, time);
    }

    /** Appends one example (event seen by a user with the given history; history may be null). */
    public int extract(ClickEvent event, UserHistory history, float label, ExampleBatch batch) {
        return extract(event.getUserId(), event.getItemId(), event.getContext(), event.getNumeric(),
                event.getEventTime(), history, label, batch);
    }

    /**
     * A source's context and numeric values looked up for this extractor's fields, once: serving
     * resolves a request's values once per request and an item's once when it is shown, then
     * extracts each of a hundred candidates from arrays instead of probing maps and hashing strings
     * per candidate. Tied to the spec it was resolved for ({@link #specFingerprint}).
     */
    public static final class FieldValues {
        private final long specFingerprint;
        final long[] hash; // CONTEXT fields: the value's hash
        final float[] number; // NUMERIC fields: the value, 0 when not finite
        final boolean[] present; // the source has the field's key

        FieldValues(long specFingerprint, int fields) {
            this.specFingerprint = specFingerprint;
            this.hash = new long[fields];
            this.number = new float[fields];
            this.present = new boolean[fields];
        }

        public long specFingerprint() {
            return specFingerprint;
        }
    }

    public FieldValues newValues() {
        return new FieldValues(spec.fingerprint(), fields.length);
    }

    /** Looks the context and numeric fields up in the maps (either may be null) into {@code into}; returns it. */
    public FieldValues resolve(Map<String, String> context, Map<String, Double> numeric, FieldValues into) {
        for (int f = 0; f < fields.length; f++) {
            Field field = fields[f];
            if (field.kind() == FeatureSpec.SourceKind.CONTEXT) {
                String v = context == null ? null : context.get(field.sourceKey());
                into.present[f] = v != null;
                into.hash[f] = v == null ? MISSING : Hashing.string(v);
            } else if (field.kind() == FeatureSpec.SourceKind.NUMERIC) {
                Double d = numeric == null ? null : numeric.get(field.sourceKey());
                into.present[f] = d != null;
                into.number[f] = d == null || !Double.isFinite(d) ? 0f : (float) d.doubleValue();
            }
        }
        return into;
    }

    /** Appends one example from its parts. */
    public int extract(String userId, String itemId, Map<String, String> context, Map<String, Double> numeric,
                       long eventTime, UserHistory history, float label, ExampleBatch batch) {
        return extract(userId, itemId, resolve(context, numeric, mapValues), null, eventTime, history, label, batch);
    }

    /**
     * Appends one example whose context and numerics come from {@code values}, field by field, and
     * where it lacks a field from {@code fallback} (may be null): serving's request values over the
     * item's as last shown. The same row as the map form with the two sources' maps merged.
     */
    public int extract(String userId, String itemId, FieldValues values, FieldValues fallback,
                       long eventTime, UserHistory history, float label, ExampleBatch batch) {
        int row = batch.beginRow(label, eventTime);
        int nf = fields.length;
        for (int f = 0; f < nf; f++) {
            Field field = fields[f];
            float num = 0f;
            switch (field.kind()) {
                case USER_ID -> batch.addValue(Hashing.string(userId));
                case ITEM_ID -> batch.addValue(itemHash(itemId));
                case CONTEXT -> batch.addValue(values.present[f] ? values.hash[f]
                        : fallback != null && fallback.present[f] ? fallback.hash[f] : MISSING);
                case RECENT_ITEMS -> {
                    if (history != null) {
                        for (int i = 0; i < history.itemCount(); i++) batch.addValue(history.item(i));
                    }
                }
                case RECENT_CATEGORIES -> {
                    if (history != null) {
                        for (int i = 0; i < history.categoryCount(); i++) batch.addValue(history.category(i));
                    }
                }
                case NUMERIC -> num = values.present[f] ? values.number[f]
                        : fallback != null && fallback.present[f] ? fallback.number[f] : 0f;
                case HISTORY_IMPRESSIONS -> num = history == null ? 0f : history.impressions();
                case HISTORY_CLICKS -> num = history == null ? 0f : history.clicks();
                case HISTORY_CTR -> num = (float) (history == null ? UserHistory.PRIOR_CTR : history.ctr());
            }
            if (field.kind().numeric) {
                if (field.transform() == FeatureSpec.Transform.LOG1P) {
                    int bits = Float.floatToRawIntBits(num);
                    if (bits != log1pIn[f]) {
                        log1pIn[f] = bits;
                        log1pOut[f] = (float) (num >= 0 ? Math.log1p(num) : -Math.log1p(-num));
                    }
                    num = log1pOut[f];
                }
                if (field.type() == FeatureSpec.FieldType.BUCKETIZE) {
                    int bucket = Arrays.binarySearch(field.boundaries(), num);
                    bucket = bucket >= 0 ? bucket + 1 : -bucket - 1;
                    batch.addValue(Hashing.mix(BUCKET_SEED, bucket));
                }
            }
            batch.numerics[row * nf + f] = num;
            batch.endField(row, f);
        }
        for (int f : wideFields) {
            for (int i = batch.valueStart(row, f), e = batch.valueEnd(row, f); i < e; i++) {
                batch.addWideKey(fieldGroupTags[f] | (Hashing.mix(fieldSeeds[f], batch.value(i)) & wideMask));
                if (unknownValueKeys[f] != 0) batch.addWideKey(unknownValueKeys[f]); // counts only while the key before it has no weight
            }
        }
        for (int c = 0; c < crosses.length; c++) {
            addCross(batch, row, c);
        }
        batch.endRow(row);
        return row;
    }

    /** Enumerates the cartesian product of the crossed fields' values (empty if any field is empty). */
    private void addCross(ExampleBatch batch, int row, int c) {
        int[] cross = crosses[c];
        int arity = cross.length;
        for (int j = 0; j < arity; j++) {
            if (batch.valueStart(row, cross[j]) == batch.valueEnd(row, cross[j])) {
                return;
            }
            cursor[j] = batch.valueStart(row, cross[j]);
        }
        while (true) {
            long h = crossSeeds[c];
            for (int j = 0; j < arity; j++) {
                h = Hashing.mix(h, batch.value(cursor[j]));
            }
            batch.addWideKey(crossGroupTags[c] | (h & wideMask));
            int j = arity - 1;
            while (j >= 0 && ++cursor[j] == batch.valueEnd(row, cross[j])) {
                cursor[j] = batch.valueStart(row, cross[j]);
                j--;
            }
            if (j < 0) {
                return;
            }
        }
    }

    private ExampleBatch single;

    /** Extracts one example into a standalone row (for shipping to a trainer elsewhere). */
    public FeatureRow toRow(ClickEvent event, UserHistory history, float label) {
        if (single == null) single = newBatch(1);
        single.clear();
        extract(event, history, label, single);
        return single.row(0);
    }

    public ExampleBatch newBatch(int capacity) {
        return new ExampleBatch(capacity, fields.length);
    }
}
