package io.widedeep.flink.functions;

import io.widedeep.core.updates.SnapshotFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * The trainer's snapshot directory (any Flink file system: {@code file://}, {@code s3://},
 * {@code hdfs://}): full snapshots written atomically (temporary name, then rename), {@code LATEST}
 * naming the newest, and only the newest {@code retain} kept, so the directory does not grow for
 * the life of the job. Owned by {@link OnlineTrainer}.
 */
final class SnapshotStore {
    private final Path dir;
    private final int retain;

    SnapshotStore(String dir, int retain) {
        this.dir = new Path(dir);
        this.retain = retain;
    }

    void write(long epoch, long version, byte[] payload) throws IOException {
        String name = SnapshotFiles.name(epoch, version);
        FileSystem fs = dir.getFileSystem();
        writeAtomically(fs, name, payload);
        writeAtomically(fs, SnapshotFiles.LATEST, name.getBytes(StandardCharsets.UTF_8));
        prune(fs);
    }

    private void writeAtomically(FileSystem fs, String name, byte[] bytes) throws IOException {
        Path tmp = new Path(dir, "." + name + ".tmp");
        try (OutputStream o = fs.create(tmp, FileSystem.WriteMode.OVERWRITE)) {
            o.write(bytes);
        }
        fs.rename(tmp, new Path(dir, name));
    }

    private void prune(FileSystem fs) throws IOException {
        FileStatus[] all = fs.listStatus(dir);
        if (all == null) return;
        List<String> names = new ArrayList<>();
        for (FileStatus f : all) {
            String n = f.getPath().getName();
            if (SnapshotFiles.parse(n) != null) names.add(n);
        }
        if (names.size() <= retain) return;
        Collections.sort(names); // epoch and zero-padded version: name order is publishing order
        for (String n : names.subList(0, names.size() - retain)) {
            fs.delete(new Path(dir, n), false);
        }
    }
}
