package io.widedeep.core.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A JSON object read with its key path in hand, so that every complaint names the key. Keys that
 * are never asked for are reported by {@link #rejectUnknown()}: a typo is an error, not a default.
 */
final class JsonConfig {
    private final ObjectNode node;
    private final String path;
    private final Set<String> asked = new HashSet<>();

    JsonConfig(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw new SpecException(path.isEmpty() ? "(root)" : path, "must be a JSON object");
        }
        this.node = (ObjectNode) node;
        this.path = path;
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The value under {@code name}, null when absent or JSON null; marks the key as known. */
    private JsonNode present(String name) {
        asked.add(name);
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String name) {
        return present(name) != null;
    }

    JsonConfig object(String name) {
        JsonNode v = present(name);
        return new JsonConfig(v == null ? node.objectNode() : v, key(name));
    }

    String string(String name, String dflt) {
        JsonNode v = present(name);
        if (v == null) {
            if (dflt == null) {
                throw new SpecException(key(name), "is required");
            }
            return dflt;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new SpecException(key(name), "must be a non-empty string");
        }
        return v.asText();
    }

    double number(String name, double dflt, double min, double max) {
        JsonNode v = present(name);
        return v == null ? dflt : inRange(name, v, v.isNumber(), "a number", v.asDouble(), min, max, String.valueOf(v.asDouble()));
    }

    int integer(String name, int dflt, int min, int max) {
        JsonNode v = present(name);
        return v == null ? dflt : (int) inRange(name, v, v.isIntegralNumber(), "an integer", v.asLong(), min, max,
                String.valueOf(v.asLong()));
    }

    /** {@code value} if the node is of the right kind and within [min, max]; else an error naming the key. */
    private double inRange(String name, JsonNode v, boolean rightKind, String kind, double value, double min, double max,
                           String shown) {
        if (!rightKind) {
            throw new SpecException(key(name), "must be " + kind + ", got " + v);
        }
        if (!(value >= min && value <= max)) {
            throw new SpecException(key(name), "must be in [" + bound(min) + ", " + bound(max) + "], got " + shown);
        }
        return value;
    }

    private static String bound(double b) {
        return b == Math.rint(b) && Math.abs(b) < 1e15 ? Long.toString((long) b) : Double.toString(b);
    }

    long longValue(String name, long dflt, long min) {
        JsonNode v = present(name);
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || v.asLong() < min) {
            throw new SpecException(key(name), "must be an integer >= " + min + ", got " + v);
        }
        return v.asLong();
    }

    boolean bool(String name, boolean dflt) {
        JsonNode v = present(name);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new SpecException(key(name), "must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    List<String> strings(String name) {
        List<String> out = new ArrayList<>();
        JsonNode v = arrayOrNull(name, "must be an array of strings");
        for (int i = 0; v != null && i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw new SpecException(key(name) + "[" + i + "]", "must be a string, got " + v.get(i));
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    List<JsonNode> array(String name) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode v = arrayOrNull(name, "must be an array");
        if (v != null) v.forEach(out::add);
        return out;
    }

    private JsonNode arrayOrNull(String name, String problem) {
        JsonNode v = present(name);
        if (v != null && !v.isArray()) {
            throw new SpecException(key(name), problem);
        }
        return v;
    }

    JsonNode raw(String name) {
        asked.add(name);
        return node.get(name);
    }

    void rejectUnknown() {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!asked.contains(n)) {
                throw new SpecException(key(n), "unknown key");
            }
        }
    }
}
