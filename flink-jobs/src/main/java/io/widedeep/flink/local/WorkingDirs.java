package io.widedeep.flink.local;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The working directories ({@code io.tmp.dirs}) of trainers run in this process's MiniCluster:
 * RocksDB's working copy of the keyed state lives there, as large as the state itself. Flink
 * deletes it on a clean stop, but a {@code kill -9}, a crash or a lost machine leaves it behind,
 * and every such run would leave another. So each run works in its own subdirectory of one base,
 * holds a lock on it for as long as the process lives, and removes the subdirectories whose lock
 * is free: their process is gone. Two trainers on one host never delete each other's.
 */
public final class WorkingDirs {
    private static final String PREFIX = "run-";
    /** Held until the JVM exits: the OS releases it when the process dies, however it dies. */
    private static final List<FileLock> HELD = new ArrayList<>();

    private WorkingDirs() {}

    /** A claimed run directory under {@code base}, after removing those of processes that are gone. */
    public record Claim(Path dir, int removed) {}

    public static synchronized Claim claim(Path base) throws IOException {
        Files.createDirectories(base);
        int removed = removeAbandoned(base);
        Path dir = Files.createTempDirectory(base, PREFIX);
        FileChannel lock = FileChannel.open(lockOf(dir), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        HELD.add(lock.lock());
        return new Claim(dir, removed);
    }

    private static Path lockOf(Path dir) {
        return dir.resolveSibling(dir.getFileName() + ".lock");
    }

    private static int removeAbandoned(Path base) throws IOException {
        List<Path> runs;
        try (Stream<Path> s = Files.list(base)) {
            runs = s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p)).toList();
        }
        int removed = 0;
        for (Path run : runs) {
            try (FileChannel ch = FileChannel.open(lockOf(run), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock free = ch.tryLock()) {
                if (free == null) continue; // its process is alive
                deleteTree(run);
                removed++;
            } catch (OverlappingFileLockException e) {
                continue; // this process's own run
            }
            Files.deleteIfExists(lockOf(run));
        }
        return removed;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
