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
 * handed to Kafka as they are, so TLS and SASL work). Every given value is checked against its
 * declared range when the command line is parsed, and a missing option takes its declared default
 * (checked when it was declared): a bad key or value fails at start with an {@link OptionException}
 * naming the option and what it accepts.
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
        // every given value is checked here, before the command starts anything
        values.forEach((k, v) -> {
            if (declared.names().contains(k)) declared.get(k).range().check(k, v);
        });
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

    /** An integer option, in the range its row declares. */
    public long longValue(String key) {
        OptionRange.Bounds r = declared(key, OptionRange.Bounds.class);
        if (!r.integral()) throw new IllegalStateException("--" + key + " is declared a number, read as an integer");
        try {
            return r.parse(key, present(key)).longValueExact();
        } catch (ArithmeticException e) {
            throw new OptionException("--" + key, "is beyond a 64-bit integer");
        }
    }

    public int intValue(String key) {
        long v = longValue(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new OptionException("--" + key, "must be at most " + Integer.MAX_VALUE + ", got " + v);
        return (int) v;
    }

    /** A number option, in the range its row declares. */
    public double doubleValue(String key) {
        return declared(key, OptionRange.Bounds.class).parse(key, present(key)).doubleValue();
    }

    /** A flag: declared {@code true|false}. */
    public boolean bool(String key) {
        OptionRange.OneOf r = declared(key, OptionRange.OneOf.class);
        if (!r.isFlag()) throw new IllegalStateException("--" + key + " is not declared true|false");
        String v = present(key);
        r.check(key, v);
        return Boolean.parseBoolean(v);
    }

    /** One of the words its row declares. */
    public String choice(String key) {
        String v = present(key);
        declared(key, OptionRange.OneOf.class).check(key, v);
        return v;
    }

    private <R extends OptionRange> R declared(String key, Class<R> kind) {
        OptionRange r = declared.get(key).range();
        if (!kind.isInstance(r)) throw new IllegalStateException("--" + key + " is declared " + r + ", read as " + kind.getSimpleName());
        return kind.cast(r);
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
