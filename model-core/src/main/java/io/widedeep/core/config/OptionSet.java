package io.widedeep.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A command's options, declared once: name, default and meaning. The same declaration parses
 * ({@link #parse}: unknown names are refused, a missing option takes its default, which is parsed
 * and range-checked like user input) and documents ({@link #help}, printed by {@code --help}), so
 * the help cannot drift from what the command accepts.
 */
public final class OptionSet {
    /** One option; {@code defaultValue} null means required, or optional without a default (see {@link Settings#has}). */
    public record Option(String name, String defaultValue, String description, boolean required) {}

    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9_]*(\\.[0-9]+)?");

    private final String usage;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final Map<String, String> prefixes = new LinkedHashMap<>();

    /** {@code usage}: the command line and a sentence on what the command does. */
    public OptionSet(String usage) {
        this.usage = usage;
    }

    /**
     * Options as a table, one a line: name, default, meaning, separated by blanks (the default
     * has none). The default is a value (a number may use {@code _} between digits, as in Java),
     * {@code required} (must be given) or {@code -} (absent unless given, see {@link Settings#has}).
     * A name ending in {@code *} is a prefix: every option starting with it passes through (e.g.
     * Kafka client properties). A flag is an option whose default is {@code false}.
     */
    public OptionSet table(String rows) {
        for (String line : rows.strip().split("\n")) {
            String[] cols = line.strip().split("\\s+", 3);
            if (cols.length < 3) throw new IllegalStateException("option row needs a name, a default and a meaning: " + line);
            String name = cols[0];
            String value = cols[1];
            if (name.endsWith("*")) {
                prefixes.put(name.substring(0, name.length() - 1), cols[2]);
            } else if (value.equals("required")) {
                add(new Option(name, null, cols[2], true));
            } else {
                String dflt = value.equals("-") ? null : NUMBER.matcher(value).matches() ? value.replace("_", "") : value;
                add(new Option(name, dflt, cols[2], false));
            }
        }
        return this;
    }

    /** Options of another command, declared here as they are there (for a tool that passes them on). */
    public OptionSet from(OptionSet other, String... names) {
        for (String n : names) add(other.get(n));
        return this;
    }

    private OptionSet add(Option o) {
        if (options.put(o.name(), o) != null) throw new IllegalStateException("option declared twice: " + o.name());
        return this;
    }

    public Set<String> names() {
        return options.keySet();
    }

    public Set<String> prefixes() {
        return prefixes.keySet();
    }

    Option get(String name) {
        Option o = options.get(name);
        if (o == null) throw new IllegalStateException("option --" + name + " is read but not declared");
        return o;
    }

    /** Parses a command line (and an optional {@code --config} properties file); {@code --help} throws {@link HelpRequested}. */
    public Settings parse(String[] argv) {
        for (String a : argv) {
            if (a.equals("--help") || a.equals("-h")) throw new HelpRequested(help());
        }
        return new Settings(argv, this);
    }

    /** The help text: usage, then every option with its default and meaning. */
    public String help() {
        StringBuilder b = new StringBuilder(usage).append("\n\nOptions (--name value, or name=value lines in --config FILE):\n");
        List<String[]> rows = new ArrayList<>();
        for (Option o : options.values()) {
            String dflt = o.required() ? "required" : o.defaultValue() == null ? "not set" : "default " + o.defaultValue();
            rows.add(new String[] {"--" + o.name(), o.description() + " (" + dflt + ")"});
        }
        prefixes.forEach((p, d) -> rows.add(new String[] {"--" + p + "*", d}));
        rows.add(new String[] {"--config FILE", "read options from a properties file; the command line wins"});
        rows.add(new String[] {"--help", "print this help"});
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        for (String[] r : rows) {
            b.append("  ").append(r[0]).append(" ".repeat(width - r[0].length() + 2)).append(r[1]).append('\n');
        }
        return b.toString();
    }

    /** Thrown by {@link #parse} for {@code --help}: print {@link #getMessage} to stdout and exit 0. */
    public static final class HelpRequested extends RuntimeException {
        HelpRequested(String help) {
            super(help, null, false, false);
        }
    }
}
