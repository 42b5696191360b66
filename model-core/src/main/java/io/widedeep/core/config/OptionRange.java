package io.widedeep.core.config;

import java.math.BigDecimal;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The values an option accepts, declared in its table row and checked when the command line is parsed. */
public sealed interface OptionRange {
    /** Throws an {@link OptionException} naming the option and this range when {@code value} is not in it. */
    void check(String name, String value);

    /** How {@code --help} shows the range ("" for free text). */
    String describe();

    /**
     * Numbers from {@code min} to {@code max}, both included (null: no bound on that side); with
     * {@code integral}, integers only. Exact: a bound is the number the table wrote.
     */
    record Bounds(BigDecimal min, BigDecimal max, boolean integral) implements OptionRange {
        public void check(String name, String value) {
            parse(name, value);
        }

        BigDecimal parse(String name, String value) {
            BigDecimal v;
            try {
                v = new BigDecimal(value.replace("_", ""));
            } catch (NumberFormatException e) {
                throw refusal(name, "'" + value + "', not " + (integral ? "an integer" : "a number"));
            }
            if (integral && v.stripTrailingZeros().scale() > 0) throw refusal(name, value + ", not an integer");
            if (min != null && v.compareTo(min) < 0 || max != null && v.compareTo(max) > 0) throw refusal(name, v.toPlainString());
            return v;
        }

        private OptionException refusal(String name, String got) {
            return new OptionException("--" + name, "must be in " + describe() + ", got " + got);
        }

        public String describe() {
            if (min == null && max == null) return integral ? "any integer" : "any number";
            if (max == null) return ">= " + shown(min);
            return shown(min) + ".." + shown(max);
        }

        /** 3600000 as 3_600_000, as the tables write it. */
        private String shown(BigDecimal v) {
            if (!integral || v.abs().compareTo(BigDecimal.valueOf(10_000)) < 0) return v.toPlainString();
            return String.format("%,d", v.toBigInteger()).replace(',', '_');
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

    Pattern RANGE = Pattern.compile("(-?[0-9][0-9_]*(\\.[0-9]+)?)\\.\\.((-?[0-9][0-9_]*)(\\.[0-9]+)?)?");

    /**
     * Reads a table's range column: {@code 1..64} or {@code 1..} (integers, the second without an
     * upper bound), {@code 0.0..1.0} or {@code 0.0..} (numbers), {@code integer} (any), {@code a|b|c}
     * or {@code text}.
     */
    static OptionRange parse(String option, String column) {
        if (column.equals("text")) return new Text();
        if (column.equals("integer")) return new Bounds(null, null, true);
        Matcher m = RANGE.matcher(column);
        if (m.matches()) {
            String lo = m.group(1).replace("_", ""), hi = m.group(3) == null ? null : m.group(3).replace("_", "");
            boolean integral = m.group(2) == null && (hi == null || m.group(5) == null);
            return new Bounds(new BigDecimal(lo), hi == null ? null : new BigDecimal(hi), integral);
        }
        if (column.matches("[A-Za-z0-9_.-]+(\\|[A-Za-z0-9_.-]+)+")) return new OneOf(List.of(column.split("\\|")));
        throw new IllegalStateException("option " + option + ": range must be MIN..MAX, a|b|c or text, got '" + column + "'");
    }
}
