package io.widedeep.serving.features;

import io.widedeep.core.features.UserHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * The users' histories as the training job published them, in an embedded RocksDB: memory is bounded
 * by its LRU block cache and memtables whatever the number of users, which live on local disk. The
 * store is a cache of the serving-features topic, rebuilt from it at every start (no write-ahead log;
 * the directory is emptied when opened).
 *
 * <p>A value holds the spec fingerprint, the expiry time and the sequence the job wrote, then the
 * history's bytes ({@link UserHistory#toBytes}). A record is kept only if its sequence is higher
 * than the one held (a job replaying its input after a restore re-sends older states) or the one
 * held has expired (the job forgot the user and started again). Reads return nothing for an expired
 * history, or for one written for another spec than the served model's (counted: the health check
 * says why).
 *
 * <p>One writer (the feature feed's thread), many readers (request threads).
 */
public final class UserFeatureStore implements AutoCloseable {
    private static final int HEADER = 3 * 8;

    private final Path dir;
    private final LRUCache cache;
    private final BloomFilter bloom;
    private final Options options;
    private final WriteOptions writes;
    private final RocksDB db;
    private final AtomicLong specMismatches = new AtomicLong();
    private final AtomicLong expiredReads = new AtomicLong();
    private long written;
    private long ignored;
    private volatile long users;

    static {
        RocksDB.loadLibrary();
    }

    public UserFeatureStore(Path dir, long cacheBytes) {
        this.dir = dir;
        try {
            delete(dir, false);
            Files.createDirectories(dir);
            cache = new LRUCache(cacheBytes);
            bloom = new BloomFilter(10);
            BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom)
                    // index and filter blocks count against the cache, so the cache bounds them too
                    .setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true);
            options = new Options().setCreateIfMissing(true).setTableFormatConfig(table)
                    .setWriteBufferSize(16L << 20).setMaxWriteBufferNumber(2)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setMaxBackgroundJobs(1).setKeepLogFileNum(2);
            writes = new WriteOptions().setDisableWAL(true);
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException | IOException e) {
            throw new IllegalStateException("cannot open the user feature store in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Deletes what is under {@code dir}, and {@code dir} itself if {@code itself}. */
    private static void delete(Path dir, boolean itself) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (itself || !p.equals(dir)) Files.delete(p);
            }
        }
    }

    private static final String PROCESS_DIR_PREFIX = "widedeep-user-features-";

    /**
     * A directory for this process's store under the temp directory. The stores of processes that no
     * longer run (killed, so never closed) are removed first.
     */
    public static Path processDir() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (var dirs = Files.newDirectoryStream(tmp, PROCESS_DIR_PREFIX + "*")) {
            for (Path d : dirs) {
                String pid = d.getFileName().toString().substring(PROCESS_DIR_PREFIX.length());
                if (pid.matches("\\d+") && ProcessHandle.of(Long.parseLong(pid)).isEmpty()) delete(d, true);
            }
        }
        return tmp.resolve(PROCESS_DIR_PREFIX + ProcessHandle.current().pid());
    }

    /**
     * Feed thread: a user's history from the job; false when an equal or newer one is already held
     * (or this one has expired at {@code now}).
     */
    public boolean put(String user, long specFingerprint, long expiresAt, long sequence, byte[] history, long now) {
        if (expiresAt <= now) {
            ignored++;
            return false;
        }
        byte[] key = user.getBytes(StandardCharsets.UTF_8);
        try {
            byte[] held = db.get(key);
            if (held != null) {
                ByteBuffer b = ByteBuffer.wrap(held);
                b.getLong();
                long heldExpiry = b.getLong();
                long heldSequence = b.getLong();
                if (heldSequence >= sequence && heldExpiry > now) {
                    ignored++;
                    return false;
                }
            }
            byte[] value = ByteBuffer.allocate(HEADER + history.length).putLong(specFingerprint).putLong(expiresAt)
                    .putLong(sequence).put(history).array();
            db.put(writes, key, value);
            written++;
            if (held == null) users++;
            return true;
        } catch (RocksDBException e) {
            throw new IllegalStateException("user feature store: " + e.getMessage(), e);
        }
    }

    /**
     * The user's history for a model of the given spec ({@code maxItems}: its history bound), or null:
     * unknown, expired at {@code now}, or written for another spec.
     */
    public UserHistory history(String user, long specFingerprint, int maxItems, long now) {
        byte[] v;
        try {
            v = db.get(user.getBytes(StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            throw new IllegalStateException("user feature store: " + e.getMessage(), e);
        }
        if (v == null) return null;
        ByteBuffer b = ByteBuffer.wrap(v);
        if (b.getLong() != specFingerprint) {
            specMismatches.incrementAndGet();
            return null;
        }
        if (b.getLong() <= now) {
            expiredReads.incrementAndGet();
            return null;
        }
        b.getLong();
        byte[] h = new byte[b.remaining()];
        b.get(h);
        return UserHistory.fromBytes(h, maxItems);
    }

    /** Users held (an expired one until {@link #sweep} reaches it or a newer record replaces it). */
    public long users() {
        return users;
    }

    private byte[] sweepFrom; // the key the next sweep starts at, null: the first

    /**
     * Feed thread, a little at a time: looks at up to {@code budget} users from where the last call
     * stopped (wrapping round at the end) and deletes those whose records expired by {@code now}.
     * Without it a server that runs for months would keep on disk every user the job has since
     * forgotten. Each call opens its own iterator: a long-lived one would pin memtables and files.
     * Returns the users deleted.
     */
    public int sweep(long now, int budget) {
        int deleted = 0;
        try (RocksIterator it = db.newIterator()) {
            if (sweepFrom == null) it.seekToFirst();
            else it.seek(sweepFrom);
            for (int seen = 0; seen < budget && it.isValid(); seen++, it.next()) {
                byte[] v = it.value();
                if (ByteBuffer.wrap(v, 8, 8).getLong() <= now) {
                    db.delete(writes, it.key());
                    deleted++;
                }
            }
            sweepFrom = it.isValid() ? it.key() : null;
        } catch (RocksDBException e) {
            throw new IllegalStateException("user feature store: " + e.getMessage(), e);
        }
        users -= deleted;
        return deleted;
    }

    /** Bytes of memory RocksDB holds: block cache in use, memtables, and table readers outside the cache. */
    public long memoryBytes() {
        try {
            return cache.getUsage() + db.getLongProperty("rocksdb.cur-size-all-mem-tables")
                    + db.getLongProperty("rocksdb.estimate-table-readers-mem");
        } catch (RocksDBException e) {
            return -1;
        }
    }

    /** Records stored, and records ignored as older than (or as old as) what was held, or expired. */
    public long written() { return written; }
    public long ignored() { return ignored; }
    /** Reads that found a history written for another spec, or expired. */
    public long specMismatches() { return specMismatches.get(); }
    public long expiredReads() { return expiredReads.get(); }

    @Override
    public void close() {
        db.close();
        writes.close();
        options.close();
        bloom.close();
        cache.close();
        try {
            delete(dir, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
