package io.widedeep.core.config;

/** How every {@code widedeep} command's main reads its options. */
public final class CommandLine {
    private CommandLine() {}

    /** Reads the options (and may start what they describe, e.g. a server). */
    @FunctionalInterface
    public interface Parse<T> {
        T get() throws Exception;
    }

    /**
     * Runs {@code parse}: {@code --help} prints the command's help to stdout and exits 0; an invalid
     * option or spec prints {@code widedeep COMMAND: key: problem} to stderr and exits 2.
     */
    public static <T> T parseOrExit(String command, Parse<T> parse) throws Exception {
        try {
            return parse.get();
        } catch (OptionSet.HelpRequested h) {
            System.out.print(h.getMessage());
            System.exit(0);
        } catch (ConfigException e) {
            System.err.println("widedeep " + command + ": " + e.getMessage());
            System.exit(2);
        }
        throw new AssertionError("unreachable");
    }
}
