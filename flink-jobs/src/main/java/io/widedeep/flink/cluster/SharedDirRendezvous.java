package io.widedeep.flink.cluster;

import io.widedeep.core.parallel.Rendezvous;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Trainer addresses in a directory every task manager can reach: the job's checkpoint directory
 * (local, {@code s3://}, {@code hdfs://}, anything Flink's file systems read), so the rendezvous
 * needs no service beyond what checkpoints already need. One small file per (job, attempt, rank),
 * holding {@code host:port} and a newline; a file without its newline is still being written.
 */
public final class SharedDirRendezvous implements Rendezvous {
    private final Path dir;

    /** Under {@code checkpointDir}/rendezvous/{@code jobId}. */
    public SharedDirRendezvous(String checkpointDir, String jobId) {
        this.dir = new Path(new Path(checkpointDir, "rendezvous"), jobId);
    }

    private Path file(long generation, int rank) {
        return new Path(dir, generation + "-" + rank);
    }

    @Override
    public void publish(long generation, int rank, InetSocketAddress address) {
        try {
            FileSystem fs = dir.getFileSystem();
            fs.mkdirs(dir);
            removeEarlier(fs, generation, rank);
            byte[] line = (address.getHostString() + ":" + address.getPort() + "\n").getBytes(StandardCharsets.UTF_8);
            try (OutputStream out = fs.create(file(generation, rank), FileSystem.WriteMode.OVERWRITE)) {
                out.write(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish the trainer's address under " + dir, e);
        }
    }

    /** A restarted trainer removes the addresses its earlier attempts left. */
    private void removeEarlier(FileSystem fs, long generation, int rank) throws IOException {
        FileStatus[] files = fs.listStatus(dir);
        if (files == null) return;
        for (FileStatus f : files) {
            String[] name = f.getPath().getName().split("-");
            if (name.length == 2 && name[1].equals(String.valueOf(rank)) && Long.parseLong(name[0]) < generation) {
                fs.delete(f.getPath(), false);
            }
        }
    }

    @Override
    public InetSocketAddress await(long generation, int rank, long deadlineNanos) throws InterruptedException {
        Path p = file(generation, rank);
        while (System.nanoTime() < deadlineNanos) {
            try {
                FileSystem fs = p.getFileSystem();
                if (fs.exists(p)) {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    try (InputStream in = fs.open(p)) {
                        in.transferTo(b);
                    }
                    String s = b.toString(StandardCharsets.UTF_8);
                    if (s.endsWith("\n")) {
                        int colon = s.lastIndexOf(':');
                        return new InetSocketAddress(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1).trim()));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not there yet, or half written: look again
            }
            Thread.sleep(50);
        }
        return null;
    }

    @Override
    public void retract(long generation, int rank) {
        try {
            FileSystem fs = dir.getFileSystem();
            fs.delete(file(generation, rank), false);
            FileStatus[] left = fs.listStatus(dir);
            if (left != null && left.length == 0) fs.delete(dir, false); // the job's last address: no empty directory stays
        } catch (IOException e) {
            // a leftover address is harmless: the next attempt of this rank removes it
        }
    }
}
