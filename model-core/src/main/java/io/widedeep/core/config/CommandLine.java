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

    /**
     * Where this process's libraries log when a command runs with {@code log4j2-cli.properties}
     * ({@code widedeep.log.dir} and {@code widedeep.log.name}, set by the launcher or the demo), or
     * null when they log to the console.
     */
    public static String logFile() {
        String dir = System.getProperty("widedeep.log.dir");
        return dir == null ? null : dir + "/" + System.getProperty("widedeep.log.name", "widedeep") + ".log";
    }
}
