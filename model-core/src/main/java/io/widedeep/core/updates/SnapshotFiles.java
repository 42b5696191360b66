package io.widedeep.core.updates;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How full snapshots are named in a snapshot directory: {@code model-<epoch>-<version>.wdm}, with the
 * version zero-padded so that names sort in publishing order, and a {@code LATEST} file holding the
 * name of the newest. The trainer writes them; servers and tools read them.
 */
public final class SnapshotFiles {
    public static final String LATEST = "LATEST";
    private static final Pattern NAME = Pattern.compile("model-(\\d+)-(\\d+)\\.wdm");

    private SnapshotFiles() {}

    public static String name(long epoch, long version) {
        return String.format("model-%d-%08d.wdm", epoch, version);
    }

    /** (epoch, version) of a snapshot file name, or null if the name is not one. */
    public static long[] parse(String name) {
        Matcher m = NAME.matcher(name);
        return m.matches() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }
}
