package io.widedeep.bench.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the server's unified JVM log. */
final class GcLog {
    record Pauses(double maxGcPauseMs, double maxSafepointMs) {}

    private static final Pattern UPTIME = Pattern.compile("\\[(\\d+\\.\\d+)s\\]"); // after the wall-clock time
    private static final Pattern GC_PAUSE = Pattern.compile("Pause [^\\n]*? (\\d+\\.\\d+)ms$");
    private static final Pattern SAFEPOINT = Pattern.compile("Safepoint .* Total: (\\d+) ns");

    /** The longest GC pause and safepoint logged between two JVM uptimes. */
    static Pauses read(Path log, double fromSeconds, double toSeconds) throws IOException {
        double gc = 0, safepoint = 0;
        for (String line : Files.readAllLines(log)) {
            Matcher t = UPTIME.matcher(line);
            if (!t.find()) continue;
            double at = Double.parseDouble(t.group(1));
            if (at < fromSeconds || at > toSeconds) continue;
            Matcher g = GC_PAUSE.matcher(line);
            if (g.find()) gc = Math.max(gc, Double.parseDouble(g.group(1)));
            Matcher sp = SAFEPOINT.matcher(line);
            if (sp.find()) safepoint = Math.max(safepoint, Long.parseLong(sp.group(1)) / 1e6);
        }
        return new Pauses(gc, safepoint);
    }
}
