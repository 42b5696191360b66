package io.widedeep.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OptionSetTest {
    private static final OptionSet OPTIONS = new OptionSet("tool [options]").table("""
            servers     required  text           where to connect
            window.ms   30_000    1..86_400_000  how long a click counts
            limit       -         1..            rows to read
            margin      0.10      0.0..1.0       hold margin
            mode        fast      fast|slow      how to run
            name        a-b:c/d   text           any text without blanks
            snapshot    -         text           optional, no default
            fresh       false     true|false     a flag
            kafka.*     -         -              passed through
            """);

    @Test
    void tableRowsParseAsOptionsWithTheirDefaults() {
        Settings s = OPTIONS.parse(new String[] {"--servers", "h:1", "--fresh", "--kafka.acks", "all"});
        assertEquals("h:1", s.string("servers"));
        assertEquals(30_000, s.intValue("window.ms"), "underscores between digits are dropped");
        assertEquals(0.10, s.doubleValue("margin"));
        assertEquals("fast", s.choice("mode"));
        assertEquals("a-b:c/d", s.string("name"));
        assertFalse(s.has("snapshot"));
        assertTrue(s.bool("fresh"));
        assertEquals("all", s.withPrefix("kafka.").getProperty("acks"));
        assertEquals(5_000_000_000L, OPTIONS.parse(new String[] {"--limit", "5_000_000_000"}).longValue("limit"), "no upper bound");
    }

    @Test
    void aValueOutOfItsRangeFailsAtParseNamingTheOptionAndTheRange() {
        // the bad value is refused by parse itself, before anything reads it
        OptionException high = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[] {"--window.ms", "86400001"}));
        assertEquals("--window.ms", high.key());
        assertTrue(high.getMessage().contains("1..86_400_000") && high.getMessage().contains("86400001"), high.getMessage());
        OptionException word = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[] {"--margin", "lots"}));
        assertTrue(word.getMessage().contains("--margin") && word.getMessage().contains("0.0..1.0"), word.getMessage());
        OptionException choice = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[] {"--mode", "medium"}));
        assertTrue(choice.getMessage().contains("fast|slow"), choice.getMessage());
        OptionException flag = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[] {"--fresh", "yes"}));
        assertTrue(flag.getMessage().contains("true|false"), flag.getMessage());
        assertThrows(OptionException.class, () -> OPTIONS.parse(new String[] {"--limit", "0"}));
    }

    @Test
    void requiredOptionsAndUnknownNamesAreRefusedNamingTheOption() {
        OptionException missing = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[0]).string("servers"));
        assertTrue(missing.getMessage().contains("--servers"), missing.getMessage());
        OptionException unknown = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[] {"--servers", "h", "--windw.ms", "1"}));
        assertTrue(unknown.getMessage().contains("windw.ms"), unknown.getMessage());
    }

    @Test
    void helpListsEveryRowWithItsRangeAndDefault() {
        String help = OPTIONS.help();
        assertTrue(help.contains("how long a click counts (1..86_400_000; default 30000)"), help);
        assertTrue(help.contains("rows to read (>= 1; not set)"), help);
        assertTrue(help.contains("how to run (fast|slow; default fast)"), help);
        assertTrue(help.contains("where to connect (required)"), help);
        assertTrue(help.contains("--kafka.*"), help);
    }

    @Test
    void declarationErrorsFailWhenTheTableIsRead() {
        assertThrows(IllegalStateException.class, () -> new OptionSet("x").table("name 1 text"), "no meaning");
        assertThrows(IllegalStateException.class, () -> new OptionSet("x").table("a 1 1..2 first\na 2 1..2 second"), "twice");
        assertThrows(IllegalStateException.class, () -> new OptionSet("x").table("a 1 1-2 bad range"), "range syntax");
        assertThrows(OptionException.class, () -> new OptionSet("x").table("a 5 1..2 default outside its range"));
        Settings s = new OptionSet("x").table("a 0.5 0.0..1.0 a number").parse(new String[0]);
        assertThrows(IllegalStateException.class, () -> s.longValue("a"), "a number read as an integer");
        assertThrows(IllegalStateException.class, () -> s.bool("a"), "read as another kind than declared");
        assertThrows(OptionException.class, () -> new OptionSet("x").table("n 1 1..9 an integer").parse(new String[] {"--n", "2.5"}),
                "an integer option refuses a fraction");
    }
}
