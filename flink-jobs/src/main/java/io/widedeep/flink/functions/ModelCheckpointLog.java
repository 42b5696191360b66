package io.widedeep.flink.functions;

import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.ModelFormatException;
import io.widedeep.core.model.WideDeepModel;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's model in checkpoints, at the cost of what changed: a base (the full model with its
 * optimizer state) and, at each later checkpoint, an increment with the rows touched since the one
 * before ({@link ModelCodec#encodeIncrement}). The files live under
 * {@code <checkpoint.dir>/model-log/<lineage>/}; a checkpoint's operator state holds only the
 * manifest naming its chain, with the newest file's bytes inline, so the pause and the bytes of a
 * checkpoint follow the rows trained since the last one, not the model's size. The training thread
 * only encodes: a background thread writes the file, and the next checkpoint, which names it as a
 * file, waits for that write first (a restore from the manifest rewrites a file its run did not
 * finish).
 *
 * <p>When the increments since the base outweigh it, a background thread folds the chain into a new
 * base from the files (the training thread never writes a whole model after the first), and the
 * next checkpoint's chain starts from it. Files no longer named by a retained or pending checkpoint
 * are deleted when a checkpoint completes. Savepoints do not use this log: they carry the whole model
 * in operator state, so they stay self-contained.
 */
final class ModelCheckpointLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCheckpointLog.class);
    private static final int MANIFEST_V1 = 1;
    /** 2: the chain's newest file also inline, so a checkpoint never waits for that file's write. */
    private static final int MANIFEST_V2 = 2;
    private static final int RETAINED = 2; // completed checkpoints whose chains are kept

    private final String checkpointDir;
    private final String jobId;
    private final DataType dtype;
    private String lineage;
    private Path dir;
    private final List<String> chain = new ArrayList<>();
    private final Map<String, Long> sizes = new HashMap<>();
    private final TreeMap<Long, List<String>> pending = new TreeMap<>();
    private final Deque<List<String>> retained = new ArrayDeque<>();
    private final Set<String> restoredChain = new HashSet<>();
    private long restoredCheckpointId = -1;
    private long restoredBaseId = -1;
    private boolean needBase = true;
    private final ExecutorService compactor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "model-log-compaction");
        t.setDaemon(true);
        return t;
    });
    private Future<Compacted> compaction;
    private Future<?> writing; // the newest file, written by the background thread
    private String compactingTo;
    private long lastBytes;

    private record Compacted(String base, long bytes, int folded) {}

    ModelCheckpointLog(String checkpointDir, String jobId, DataType dtype) {
        this.checkpointDir = checkpointDir;
        this.jobId = jobId;
        this.dtype = dtype;
    }

    /** A new lineage: the next checkpoint writes a base. */
    void startFresh() {
        lineage = UUID.randomUUID().toString();
        dir = new Path(new Path(checkpointDir, "model-log"), lineage);
        chain.clear();
        needBase = true;
    }

    /** The model a checkpoint's manifest names: its base with every increment applied in order. */
    WideDeepModel restore(byte[] manifest) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(manifest));
        int layout = in.readInt();
        if (layout != MANIFEST_V1 && layout != MANIFEST_V2) throw new IOException("unknown model manifest layout");
        lineage = in.readUTF();
        dir = new Path(new Path(checkpointDir, "model-log"), lineage);
        int n = in.readInt();
        chain.clear();
        for (int i = 0; i < n; i++) chain.add(in.readUTF());
        if (layout == MANIFEST_V2) {
            // the newest file may never have been written (the run died first) or only in part: it is rewritten
            // from the manifest, because the next checkpoints name it as a file
            byte[] newest = in.readNBytes(in.readInt());
            String name = chain.get(chain.size() - 1);
            Path file = new Path(dir, name);
            if (!file.getFileSystem().exists(file) || file.getFileSystem().getFileStatus(file).getLen() != newest.length) {
                write(name, newest);
            }
        }
        WideDeepModel m = rebuild(chain, sizes);
        for (String f : chain) {
            restoredChain.add(f);
            restoredCheckpointId = Math.max(restoredCheckpointId, checkpointOf(f));
        }
        restoredBaseId = checkpointOf(chain.get(0));
        ModelCodec.startIncrements(m);
        needBase = false;
        return m;
    }

    /** Reads a chain; records the files' sizes in {@code sizes} unless null (the compaction thread). */
    private WideDeepModel rebuild(List<String> files, Map<String, Long> sizes) throws IOException {
        try {
            return rebuildChecked(files, sizes);
        } catch (ModelFormatException e) {
            throw new IOException("the model log in " + dir + " is unreadable: " + e.getMessage(), e);
        }
    }

    private WideDeepModel rebuildChecked(List<String> files, Map<String, Long> sizes) throws IOException, ModelFormatException {
        byte[] base = read(files.get(0));
        WideDeepModel m = ModelCodec.decodeFull(base, dtype);
        if (sizes != null) sizes.put(files.get(0), (long) base.length);
        for (String f : files.subList(1, files.size())) {
            byte[] inc = read(f);
            if (sizes != null) sizes.put(f, (long) inc.length);
            ModelCodec.applyDelta(m, inc);
        }
        return m;
    }

    /**
     * Writes what this checkpoint adds (the base, the first time; an increment after) and returns the
     * manifest for the checkpoint's state. Runs on the training thread, between two steps.
     */
    byte[] checkpoint(WideDeepModel m, long checkpointId) throws IOException {
        awaitWrite();
        adoptCompaction();
        String name;
        byte[] bytes;
        if (needBase) {
            bytes = ModelCodec.encodeFull(m, true);
            ModelCodec.startIncrements(m);
            name = fileName("base", checkpointId);
            chain.clear();
        } else {
            bytes = ModelCodec.encodeIncrement(m);
            name = fileName("inc", checkpointId);
        }
        String file = name;
        byte[] content = bytes;
        // written off the training thread; the manifest carries the bytes meanwhile, and the next checkpoint,
        // which names this file as a file, waits for it first (the same thread then compacts, so in order)
        writing = compactor.submit(() -> {
            write(file, content);
            return null;
        });
        needBase = false;
        chain.add(name);
        sizes.put(name, (long) bytes.length);
        pending.put(checkpointId, List.copyOf(chain));
        maybeCompact();
        lastBytes = bytes.length;
        return manifest(bytes);
    }

    /**
     * Waits for the newest file's write. If it failed, the chain cannot go on from that file: the
     * next checkpoint starts a new chain with a base (the failed checkpoint itself restores from its
     * manifest, which holds the bytes).
     */
    void awaitWrite() {
        if (writing == null) return;
        try {
            writing.get();
        } catch (ExecutionException e) {
            LOG.warn("writing the model log file failed; the next checkpoint starts a new chain", e.getCause());
            needBase = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            needBase = true;
        } finally {
            writing = null;
        }
    }

    long lastBytes() {
        return lastBytes;
    }

    int chainLength() {
        return chain.size();
    }

    private byte[] manifest(byte[] newest) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(newest.length + 256);
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(MANIFEST_V2);
        out.writeUTF(lineage);
        out.writeInt(chain.size());
        for (String f : chain) out.writeUTF(f);
        out.writeInt(newest.length);
        out.write(newest);
        return b.toByteArray();
    }

    /** Folds base + increments into a new base in the background once the increments outweigh the base. */
    private void maybeCompact() {
        if (compaction != null || chain.size() < 2) return;
        long base = sizes.get(chain.get(0)), increments = 0;
        for (String f : chain.subList(1, chain.size())) increments += sizes.get(f);
        if (increments < base) return;
        List<String> files = List.copyOf(chain);
        String target = fileName("base", checkpointOf(files.get(files.size() - 1)));
        compactingTo = target;
        compaction = compactor.submit(() -> {
            byte[] full = ModelCodec.encodeFull(rebuild(files, null), true);
            write(target, full);
            return new Compacted(target, full.length, files.size());
        });
    }

    /** A finished compaction replaces the chain's prefix it folded. */
    private void adoptCompaction() {
        if (compaction == null || !compaction.isDone()) return;
        try {
            Compacted c = compaction.get();
            if (chain.size() >= c.folded()) {
                List<String> rest = new ArrayList<>(chain.subList(c.folded(), chain.size()));
                chain.clear();
                chain.add(c.base());
                chain.addAll(rest);
                sizes.put(c.base(), c.bytes());
            }
        } catch (Exception e) {
            LOG.warn("compacting the model log failed; the chain stays as it is and is compacted again later", e);
        } finally {
            compaction = null;
            compactingTo = null;
        }
    }

    /** Deletes the files no retained or pending checkpoint names. */
    void completed(long checkpointId) {
        List<String> done = pending.get(checkpointId);
        if (done == null) return;
        retained.addLast(done);
        while (retained.size() > RETAINED) retained.removeFirst();
        pending.headMap(checkpointId, true).clear();
        Set<String> live = new HashSet<>();
        retained.forEach(live::addAll);
        pending.values().forEach(live::addAll);
        live.addAll(chain);
        if (compactingTo != null) live.add(compactingTo);
        try {
            FileSystem fs = dir.getFileSystem();
            FileStatus[] files = fs.listStatus(dir);
            if (files == null) return;
            for (FileStatus f : files) {
                String name = f.getPath().getName();
                if (live.contains(name) || !deletable(name)) continue;
                fs.delete(f.getPath(), false);
            }
        } catch (IOException e) {
            LOG.warn("could not prune the model log in {}; trying again at the next checkpoint", dir, e);
        }
    }

    /**
     * Ours; or an earlier job's that this job restored and has since moved past; or an earlier job's
     * that the restored chain no longer needs: written after the checkpoint this job restored (a run
     * that was killed or failed after it), or before the base the chain starts from (folded into it).
     */
    private boolean deletable(String name) {
        String[] p = name.split("-");
        if (p.length != 3) return false;
        long id = Long.parseLong(p[2]);
        boolean foldedIntoBase = id < restoredBaseId || (id == restoredBaseId && p[0].equals("inc"));
        return p[1].equals(jobId) || restoredChain.contains(name) || id > restoredCheckpointId || foldedIntoBase;
    }

    private String fileName(String kind, long checkpointId) {
        return String.format("%s-%s-%012d", kind, jobId, checkpointId);
    }

    private static long checkpointOf(String name) {
        return Long.parseLong(name.substring(name.lastIndexOf('-') + 1));
    }

    private void write(String name, byte[] bytes) throws IOException {
        FileSystem fs = dir.getFileSystem();
        try (OutputStream o = fs.create(new Path(dir, name), FileSystem.WriteMode.OVERWRITE)) {
            o.write(bytes);
        }
    }

    private byte[] read(String name) throws IOException {
        Path p = new Path(dir, name);
        try (InputStream in = p.getFileSystem().open(p)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IOException("the checkpoint's model file " + p + " cannot be read (" + e.getMessage()
                    + "); model-log files must stay while a checkpoint names them", e);
        }
    }

    @Override
    public void close() {
        awaitWrite(); // a file half written is rewritten at restore, but need not be
        compactor.shutdownNow(); // a compaction in flight is abandoned: no checkpoint names its file yet
        try {
            // ... but its thread may still be writing: wait, so that nothing touches the directory after close
            if (!compactor.awaitTermination(30, TimeUnit.SECONDS)) LOG.warn("model-log compaction did not stop within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
