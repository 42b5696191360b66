package io.widedeep.core.bench;

import io.widedeep.core.spec.SpecException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --key value} command-line options; unknown options and bad values fail naming the option. */
public final class Args {
    private final Map<String, String> values = new HashMap<>();

    public Args(String[] argv, Set<String> known) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new SpecException(a, "unexpected argument (options are --name value)");
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                value = argv[++i];
            } else {
                value = "true";
            }
            if (!known.contains(name)) {
                throw new SpecException("--" + name, "unknown option; known: " + new java.util.TreeSet<>(known));
            }
            values.put(name, value);
        }
    }

    public String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    public String require(String name) {
        String v = values.get(name);
        if (v == null) throw new SpecException("--" + name, "is required");
        return v;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public long getLong(String name, long dflt, long min) {
        String v = values.get(name);
        if (v == null) return dflt;
        try {
            long l = Long.parseLong(v.replace("_", ""));
            if (l < min) throw new SpecException("--" + name, "must be >= " + min + ", got " + v);
            return l;
        } catch (NumberFormatException e) {
            throw new SpecException("--" + name, "must be an integer, got '" + v + "'");
        }
    }

    public double getDouble(String name, double dflt) {
        String v = values.get(name);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new SpecException("--" + name, "must be a number, got '" + v + "'");
        }
    }
}
