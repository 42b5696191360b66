package io.widedeep.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Options from a properties file ({@code --config FILE}) overlaid by command-line {@code --key value}
 * pairs, read against a command's {@link OptionSet} (made by {@link OptionSet#parse}). Every key must
 * be declared, or start with a declared pass-through prefix such as {@code kafka.} (client properties
 * handed to Kafka as they are, so TLS and SASL work). A missing option takes its declared default,
 * parsed and range-checked like input; a bad key or value fails at start with an
 * {@link OptionException} naming it.
 */
public final class Settings {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final OptionSet declared;

    Settings(String[] argv, OptionSet declared) {
        this.declared = declared;
        Map<String, String> cli = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new OptionException(a, "unexpected argument (options are --name value)");
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
            cli.put(name, value);
        }
        String file = cli.remove("config");
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(file))) {
                p.load(r);
            } catch (IOException e) {
                throw new OptionException("--config", "cannot read '" + file + "': " + e.getMessage());
            }
            for (String k : new TreeSet<>(p.stringPropertyNames())) {
                put(k, p.getProperty(k).trim());
            }
        }
        cli.forEach(this::put);
    }

    private void put(String key, String value) {
        Set<String> prefixes = declared.prefixes();
        if (!declared.names().contains(key) && prefixes.stream().noneMatch(key::startsWith)) {
            throw new OptionException("--" + key, "unknown option; known: " + new TreeSet<>(declared.names())
                    + (prefixes.isEmpty() ? "" : " and any " + prefixes + "*") + "; --help says what each means");
        }
        values.put(key, value);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The given value, else the declared default; null only for an optional option without one. */
    private String valueOrDefault(String key) {
        String dflt = declared.get(key).defaultValue();
        return values.getOrDefault(key, dflt);
    }

    private String present(String key) {
        String v = valueOrDefault(key);
        if (v == null) throw new OptionException("--" + key, "is required");
        return v;
    }

    public String string(String key) {
        String v = present(key);
        if (v.isEmpty()) throw new OptionException("--" + key, "must not be empty");
        return v;
    }

    public long longValue(String key, long min, long max) {
        String v = present(key);
        long l;
        try {
            l = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new OptionException("--" + key, "must be an integer, got '" + v + "'");
        }
        if (l < min || l > max) throw new OptionException("--" + key, "must be in [" + min + ", " + max + "], got " + l);
        return l;
    }

    public int intValue(String key, int min, int max) {
        return (int) longValue(key, min, max);
    }

    public double doubleValue(String key, double min, double max) {
        String v = present(key);
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new OptionException("--" + key, "must be a number, got '" + v + "'");
        }
        if (!(d >= min && d <= max)) throw new OptionException("--" + key, "must be in [" + min + ", " + max + "], got " + d);
        return d;
    }

    public boolean bool(String key) {
        String v = present(key);
        if (!v.equals("true") && !v.equals("false")) throw new OptionException("--" + key, "must be true or false, got '" + v + "'");
        return Boolean.parseBoolean(v);
    }

    public String choice(String key, Set<String> allowed) {
        String v = string(key);
        if (!allowed.contains(v)) throw new OptionException("--" + key, "must be one of " + new TreeSet<>(allowed) + ", got '" + v + "'");
        return v;
    }

    /** Every option under a prefix, with the prefix stripped (e.g. kafka.security.protocol). */
    public Properties withPrefix(String prefix) {
        Properties p = new Properties();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix)) p.setProperty(k.substring(prefix.length()), v);
        });
        return p;
    }
}
