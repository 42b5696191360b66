package io.widedeep.core.config;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The values an option accepts, declared in its table row and checked when the command line is parsed. */
public sealed interface OptionRange {
    /** Throws an {@link OptionException} naming the option and this range when {@code value} is not in it. */
    void check(String name, String value);

    /** How {@code --help} shows the range ("" for free text). */
    String describe();

    /** Integers from {@code min} to {@code max}, both included. */
    record Integers(long min, long max) implements OptionRange {
        public void check(String name, String value) {
            parse(name, value);
        }

        long parse(String name, String value) {
            try {
                long l = Long.parseLong(value.replace("_", ""));
                return l >= min && l <= max ? l : refuse(name, this, Long.toString(l));
            } catch (NumberFormatException e) {
                return refuse(name, this, "'" + value + "', not an integer");
            }
        }

        public String describe() {
            if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) return "any integer";
            return max == Long.MAX_VALUE ? ">= " + grouped(min) : grouped(min) + ".." + grouped(max);
        }
    }

    /** Numbers from {@code min} to {@code max}, both included. */
    record Numbers(double min, double max) implements OptionRange {
        public void check(String name, String value) {
            parse(name, value);
        }

        double parse(String name, String value) {
            try {
                double d = Double.parseDouble(value.replace("_", ""));
                return d >= min && d <= max ? d : refuse(name, this, Double.toString(d));
            } catch (NumberFormatException e) {
                return refuse(name, this, "'" + value + "', not a number");
            }
        }

        public String describe() {
            return max == Double.POSITIVE_INFINITY ? ">= " + min : min + ".." + max;
        }
    }

    /** One of a fixed set of words; {@code true|false} is a flag. */
    record OneOf(List<String> values) implements OptionRange {
        public void check(String name, String value) {
            if (!values.contains(value)) throw new OptionException("--" + name, "must be one of " + describe() + ", got '" + value + "'");
        }

        public String describe() {
            return String.join("|", values);
        }

        boolean isFlag() {
            return values.equals(List.of("true", "false"));
        }
    }

    /** Any non-empty text (a host, a path, a topic name). */
    record Text() implements OptionRange {
        public void check(String name, String value) {
            if (value.isEmpty()) throw new OptionException("--" + name, "must not be empty");
        }

        public String describe() {
            return "";
        }
    }

    private static <T> T refuse(String name, OptionRange range, String got) {
        throw new OptionException("--" + name, "must be in " + range.describe() + ", got " + got);
    }

    /** 3600000 as 3_600_000, as the tables write it. */
    private static String grouped(long v) {
        return Math.abs(v) < 10_000 ? Long.toString(v) : String.format("%,d", v).replace(',', '_');
    }

    Pattern RANGE = Pattern.compile("(-?[0-9][0-9_]*(\\.[0-9]+)?)\\.\\.((-?[0-9][0-9_]*)(\\.[0-9]+)?)?");

    /**
     * Reads a table's range column: {@code 1..64} or {@code 1..} (integers, the second without an
     * upper bound), {@code 0.0..1.0} or {@code 0.0..} (numbers), {@code integer} (any), {@code a|b|c}
     * or {@code text}.
     */
    static OptionRange parse(String option, String column) {
        if (column.equals("text")) return new Text();
        if (column.equals("integer")) return new Integers(Long.MIN_VALUE, Long.MAX_VALUE);
        Matcher m = RANGE.matcher(column);
        if (m.matches()) {
            String lo = m.group(1).replace("_", ""), hi = m.group(3) == null ? null : m.group(3).replace("_", "");
            if (m.group(2) == null && (hi == null || m.group(5) == null)) {
                return new Integers(Long.parseLong(lo), hi == null ? Long.MAX_VALUE : Long.parseLong(hi));
            }
            return new Numbers(Double.parseDouble(lo), hi == null ? Double.POSITIVE_INFINITY : Double.parseDouble(hi));
        }
        if (column.matches("[A-Za-z0-9_.-]+(\\|[A-Za-z0-9_.-]+)+")) return new OneOf(List.of(column.split("\\|")));
        throw new IllegalStateException("option " + option + ": range must be MIN..MAX, a|b|c or text, got '" + column + "'");
    }
}
