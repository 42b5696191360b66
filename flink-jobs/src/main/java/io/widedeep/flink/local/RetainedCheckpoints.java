package io.widedeep.flink.local;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the newest complete checkpoint that earlier runs left in a local checkpoint directory
 * ({@code <dir>/<job id>/chk-<n>/_metadata}; a checkpoint cut off by a crash has no
 * {@code _metadata} and is skipped). Used by the local trainer and the demo to resume; on a cluster
 * the operator passes the checkpoint to {@code flink run -s}.
 */
public final class RetainedCheckpoints {
    private RetainedCheckpoints() {}

    /** The newest retained checkpoint under a {@code file://} URI or a plain path, if any. */
    public static Optional<Path> latest(String checkpointDir) throws IOException {
        Path root = localPath(checkpointDir);
        if (root == null || !Files.isDirectory(root)) return Optional.empty();
        try (Stream<Path> s = Files.walk(root, 3)) {
            return s.filter(p -> p.getFileName().toString().equals("_metadata"))
                    .max(Comparator.comparingLong(p -> p.toFile().lastModified())).map(Path::getParent);
        }
    }

    /** The local path of a checkpoint directory, or null when it is on a remote file system (s3://, hdfs://). */
    public static Path localPath(String checkpointDir) {
        URI uri = URI.create(checkpointDir);
        if (uri.getScheme() == null) return Path.of(checkpointDir);
        return uri.getScheme().equals("file") ? Path.of(uri) : null;
    }
}
