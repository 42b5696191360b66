package io.widedeep.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A command's options, declared once: name, default, valid values and meaning (as Flink ML's
 * {@code Param}s are). The same declaration parses ({@link #parse}: unknown names are refused, and
 * every given value and every default is checked against its range before the command starts) and
 * documents ({@link #help}, printed by {@code --help}), so the help cannot drift from what the
 * command accepts.
 */
public final class OptionSet {
    /** One option; {@code defaultValue} null means required, or optional without a default (see {@link Settings#has}). */
    public record Option(String name, String defaultValue, OptionRange range, String description, boolean required) {}

    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9_]*(\\.[0-9]+)?");

    private final String usage;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final Map<String, String> prefixes = new LinkedHashMap<>();

    /** {@code usage}: the command line and a sentence on what the command does. */
    public OptionSet(String usage) {
        this.usage = usage;
    }

    /**
     * Options as a table, one a line: name, default, valid values, meaning, separated by blanks.
     * <ul>
     *   <li>The default is a value (a number may use {@code _} between digits, as in Java),
     *       {@code required} (must be given) or {@code -} (absent unless given, see {@link Settings#has}).
     *   <li>The valid values are an {@link OptionRange}: {@code 1..64} (integers), {@code 0.0..1.0}
     *       (numbers), {@code a|b|c} (one of), {@code true|false} (a flag) or {@code text}.
     *   <li>A name ending in {@code *} is a prefix: every option starting with it passes through
     *       (e.g. Kafka client properties); its default and range columns are {@code - -}.
     * </ul>
     */
    public OptionSet table(String rows) {
        for (String line : rows.strip().split("\n")) {
            String[] cols = line.strip().split("\\s+", 4);
            if (cols.length < 4) throw new IllegalStateException("option row needs a name, a default, a range and a meaning: " + line);
            String name = cols[0];
            String value = cols[1];
            if (name.endsWith("*")) {
                prefixes.put(name.substring(0, name.length() - 1), cols[3]);
                continue;
            }
            OptionRange range = OptionRange.parse(name, cols[2]);
            if (value.equals("required")) {
                add(new Option(name, null, range, cols[3], true));
            } else {
                String dflt = value.equals("-") ? null : NUMBER.matcher(value).matches() ? value.replace("_", "") : value;
                if (dflt != null) range.check(name, dflt); // a default outside its own range is a declaration error
                add(new Option(name, dflt, range, cols[3], false));
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

    /** The declaration of {@code name}; reading an undeclared option is a programming error. */
    public Option get(String name) {
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

    /** The help text: usage, then every option with its meaning, valid values and default. */
    public String help() {
        StringBuilder b = new StringBuilder(usage).append("\n\nOptions (--name value, or name=value lines in --config FILE):\n");
        List<String[]> rows = new ArrayList<>();
        for (Option o : options.values()) {
            String dflt = o.required() ? "required" : o.defaultValue() == null ? "not set" : "default " + o.defaultValue();
            String range = o.range().describe();
            rows.add(new String[] {"--" + o.name(), o.description() + " (" + (range.isEmpty() ? "" : range + "; ") + dflt + ")"});
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
