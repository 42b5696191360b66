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

    boolean has(String name) {
        asked.add(name);
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    JsonConfig object(String name) {
        asked.add(name);
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return new JsonConfig(node.objectNode(), key(name));
        }
        return new JsonConfig(v, key(name));
    }

    String string(String name, String dflt) {
        asked.add(name);
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
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
        asked.add(name);
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new SpecException(key(name), "must be a number, got " + v);
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw new SpecException(key(name), "must be in [" + min + ", " + max + "], got " + d);
        }
        return d;
    }

    int integer(String name, int dflt, int min, int max) {
        asked.add(name);
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber()) {
            throw new SpecException(key(name), "must be an integer, got " + v);
        }
        long l = v.asLong();
        if (l < min || l > max) {
            throw new SpecException(key(name), "must be in [" + min + ", " + max + "], got " + l);
        }
        return (int) l;
    }

    long longValue(String name, long dflt, long min) {
        asked.add(name);
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || v.asLong() < min) {
            throw new SpecException(key(name), "must be an integer >= " + min + ", got " + v);
        }
        return v.asLong();
    }

    boolean bool(String name, boolean dflt) {
        asked.add(name);
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new SpecException(key(name), "must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    List<String> strings(String name) {
        asked.add(name);
        JsonNode v = node.get(name);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw new SpecException(key(name), "must be an array of strings");
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw new SpecException(key(name) + "[" + i + "]", "must be a string, got " + v.get(i));
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    List<JsonNode> array(String name) {
        asked.add(name);
        JsonNode v = node.get(name);
        List<JsonNode> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw new SpecException(key(name), "must be an array");
        }
        v.forEach(out::add);
        return out;
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
