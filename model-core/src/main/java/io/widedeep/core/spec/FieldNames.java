package io.widedeep.core.spec;

import com.fasterxml.jackson.databind.JsonNode;
import io.widedeep.core.spec.FeatureSpec.Field;
import io.widedeep.core.spec.FeatureSpec.FieldType;
import java.util.List;
import java.util.Map;

/** A spec's field names as the wide and deep sections refer to them: each resolved to its field, of the right kind, or refused naming the key. */
final class FieldNames {
    private final List<Field> fields;
    private final Map<String, Integer> byName;

    FieldNames(List<Field> fields, Map<String, Integer> byName) {
        this.fields = fields;
        this.byName = byName;
    }

    /** A section's list of field names, as indices; each must be categorical (or numeric). */
    int[] resolve(JsonConfig section, String name, boolean categorical) {
        List<String> names = section.strings(name);
        int[] out = new int[names.size()];
        for (int i = 0; i < out.length; i++) {
            String key = section.key(name) + "[" + i + "]";
            out[i] = categorical ? lookupCategorical(names.get(i), key) : lookupNumeric(names.get(i), key);
        }
        return out;
    }

    /** {@code wide.crosses}: each an array of at least two categorical field names. */
    int[][] crosses(JsonConfig wide) {
        List<JsonNode> nodes = wide.array("crosses");
        int[][] out = new int[nodes.size()][];
        for (int i = 0; i < nodes.size(); i++) {
            String key = "wide.crosses[" + i + "]";
            JsonNode cn = nodes.get(i);
            if (!cn.isArray() || cn.size() < 2) {
                throw new SpecException(key, "a cross is an array of at least two field names");
            }
            out[i] = new int[cn.size()];
            for (int j = 0; j < cn.size(); j++) {
                out[i][j] = lookupCategorical(cn.get(j).asText(), key + "[" + j + "]");
            }
        }
        return out;
    }

    private int lookupCategorical(String name, String key) {
        Integer idx = byName.get(name);
        if (idx == null) {
            throw new SpecException(key, "no field named '" + name + "'");
        }
        if (!fields.get(idx).categorical()) {
            throw new SpecException(key, "field '" + name + "' is numeric; use a bucketize field here");
        }
        return idx;
    }

    private int lookupNumeric(String name, String key) {
        Integer idx = byName.get(name);
        if (idx == null) {
            throw new SpecException(key, "no field named '" + name + "'");
        }
        if (fields.get(idx).type() != FieldType.NUMERIC) {
            throw new SpecException(key, "field '" + name + "' is not numeric");
        }
        return idx;
    }
}
