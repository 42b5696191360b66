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
 * pairs. Every key must be known, or start with a pass-through prefix such as {@code kafka.} (client
 * properties handed to Kafka as they are, so TLS and SASL work). A bad key or value fails at start
 * with a {@link OptionException} naming it.
 */
public final class Settings {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Set<String> known;
    private final Set<String> prefixes;

    private final OptionSet declared;

    public Settings(String[] argv, Set<String> known, Set<String> passThroughPrefixes) {
        this(argv, known, passThroughPrefixes, null);
    }

    /** Options declared with their defaults and meaning; prefer {@link OptionSet#parse}, which also answers --help. */
    Settings(String[] argv, OptionSet declared) {
        this(argv, declared.names(), declared.prefixes(), declared);
    }

    private Settings(String[] argv, Set<String> known, Set<String> passThroughPrefixes, OptionSet declared) {
        this.known = known;
        this.prefixes = passThroughPrefixes;
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
        if (!known.contains(key) && prefixes.stream().noneMatch(key::startsWith)) {
            throw new OptionException("--" + key, "unknown option; known: " + new TreeSet<>(known)
                    + (prefixes.isEmpty() ? "" : " and any " + prefixes + "*")
                    + (declared == null ? "" : "; --help says what each means"));
        }
        values.put(key, value);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public String string(String key, String dflt) {
        String v = values.get(key);
        if (v == null) {
            if (dflt == null) throw new OptionException("--" + key, "is required");
            return dflt;
        }
        if (v.isEmpty()) throw new OptionException("--" + key, "must not be empty");
        return v;
    }

    public long longValue(String key, long dflt, long min, long max) {
        String v = values.get(key);
        if (v == null) return dflt;
        return parseLong(key, v, min, max);
    }

    private static long parseLong(String key, String v, long min, long max) {
        long l;
        try {
            l = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new OptionException("--" + key, "must be an integer, got '" + v + "'");
        }
        if (l < min || l > max) throw new OptionException("--" + key, "must be in [" + min + ", " + max + "], got " + l);
        return l;
    }

    public int intValue(String key, int dflt, int min, int max) {
        return (int) longValue(key, dflt, min, max);
    }

    public double doubleValue(String key, double dflt, double min, double max) {
        String v = values.get(key);
        if (v == null) return dflt;
        return parseDouble(key, v, min, max);
    }

    private static double parseDouble(String key, String v, double min, double max) {
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new OptionException("--" + key, "must be a number, got '" + v + "'");
        }
        if (!(d >= min && d <= max)) throw new OptionException("--" + key, "must be in [" + min + ", " + max + "], got " + d);
        return d;
    }

    public boolean bool(String key, boolean dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        return parseBool(key, v);
    }

    private static boolean parseBool(String key, String v) {
        if (!v.equals("true") && !v.equals("false")) throw new OptionException("--" + key, "must be true or false, got '" + v + "'");
        return Boolean.parseBoolean(v);
    }

    public String choice(String key, String dflt, Set<String> allowed) {
        String v = string(key, dflt);
        if (!allowed.contains(v)) throw new OptionException("--" + key, "must be one of " + new TreeSet<>(allowed) + ", got '" + v + "'");
        return v;
    }

    // ---- getters whose default is the declared one (OptionSet): the default is parsed and checked like input

    private String declaredDefault(String key) {
        if (declared == null) throw new IllegalStateException("no declared options: pass a default for --" + key);
        OptionSet.Option o = declared.get(key);
        return o.defaultValue();
    }

    private String valueOrDefault(String key) {
        String dflt = declaredDefault(key);
        return values.getOrDefault(key, dflt);
    }

    public String string(String key) {
        return string(key, declaredDefault(key));
    }

    public long longValue(String key, long min, long max) {
        String v = valueOrDefault(key);
        if (v == null) throw new OptionException("--" + key, "is required");
        return parseLong(key, v, min, max);
    }

    public int intValue(String key, int min, int max) {
        return (int) longValue(key, min, max);
    }

    public double doubleValue(String key, double min, double max) {
        String v = valueOrDefault(key);
        if (v == null) throw new OptionException("--" + key, "is required");
        return parseDouble(key, v, min, max);
    }

    public boolean bool(String key) {
        return parseBool(key, valueOrDefault(key));
    }

    public String choice(String key, Set<String> allowed) {
        return choice(key, declaredDefault(key), allowed);
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
