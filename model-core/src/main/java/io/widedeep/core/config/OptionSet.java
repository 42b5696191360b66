package io.widedeep.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A command's options, declared once: name, default and meaning. The same declaration parses
 * ({@link #parse}: unknown names are refused, a missing option takes its default, which is parsed
 * and range-checked like user input) and documents ({@link #help}, printed by {@code --help}), so
 * the help cannot drift from what the command accepts.
 */
public final class OptionSet {
    /** One option; {@code defaultValue} null means required, or optional without a default (see {@link Settings#has}). */
    public record Option(String name, String defaultValue, String description, boolean required) {}

    private final String usage;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final Map<String, String> prefixes = new LinkedHashMap<>();

    /** {@code usage}: the command line and a sentence on what the command does. */
    public OptionSet(String usage) {
        this.usage = usage;
    }

    /** An option with a default (any value's text form). */
    public OptionSet option(String name, Object defaultValue, String description) {
        return add(new Option(name, String.valueOf(defaultValue), description, false));
    }

    /** An option that must be given. */
    public OptionSet required(String name, String description) {
        return add(new Option(name, null, description, true));
    }

    /** An option without a default: absent unless given. */
    public OptionSet optional(String name, String description) {
        return add(new Option(name, null, description, false));
    }

    /** A flag: false unless given ({@code --name} alone means true). */
    public OptionSet flag(String name, String description) {
        return add(new Option(name, "false", description, false));
    }

    /** Options of another command, declared here as they are there (for a tool that passes them on). */
    public OptionSet from(OptionSet other, String... names) {
        for (String n : names) add(other.get(n));
        return this;
    }

    /** Every option starting with {@code prefix} passes through (e.g. Kafka client properties). */
    public OptionSet prefix(String prefix, String description) {
        prefixes.put(prefix, description);
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
