package io.widedeep.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OptionSetTest {
    private static final OptionSet OPTIONS = new OptionSet("tool [options]").table("""
            servers     required  where to connect
            window.ms   30_000    how long a click counts
            margin      0.10      hold margin
            name        a-b:c/d   any text without blanks
            snapshot    -         optional, no default
            fresh       false     a flag
            kafka.*     -         passed through
            """);

    @Test
    void tableRowsParseAsOptionsWithTheirDefaults() {
        Settings s = OPTIONS.parse(new String[] {"--servers", "h:1", "--fresh", "--kafka.acks", "all"});
        assertEquals("h:1", s.string("servers"));
        assertEquals(30_000, s.intValue("window.ms", 0, Integer.MAX_VALUE), "underscores between digits are dropped");
        assertEquals(0.10, s.doubleValue("margin", 0, 1));
        assertEquals("a-b:c/d", s.string("name"));
        assertFalse(s.has("snapshot"));
        assertTrue(s.bool("fresh"));
        assertEquals("all", s.withPrefix("kafka.").getProperty("acks"));
    }

    @Test
    void requiredOptionsAndUnknownNamesAreRefusedNamingTheOption() {
        OptionException missing = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[0]).string("servers"));
        assertTrue(missing.getMessage().contains("--servers"), missing.getMessage());
        OptionException unknown = assertThrows(OptionException.class, () -> OPTIONS.parse(new String[] {"--servers", "h", "--windw.ms", "1"}));
        assertTrue(unknown.getMessage().contains("windw.ms"), unknown.getMessage());
    }

    @Test
    void helpListsEveryRowWithItsDefault() {
        String help = OPTIONS.help();
        assertTrue(help.contains("--window.ms") && help.contains("how long a click counts (default 30000)"), help);
        assertTrue(help.contains("--servers") && help.contains("(required)"), help);
        assertTrue(help.contains("--kafka.*"), help);
    }

    @Test
    void aRowWithoutAMeaningIsADeclarationError() {
        assertThrows(IllegalStateException.class, () -> new OptionSet("x").table("name 1"));
        assertThrows(IllegalStateException.class, () -> new OptionSet("x").table("a 1 first\na 2 second"));
    }
}
