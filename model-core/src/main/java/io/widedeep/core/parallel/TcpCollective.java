package io.widedeep.core.parallel;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Collective} over a full mesh of TCP connections: each rank sends its block to every
 * peer and reads theirs, so an all-gather costs one message per peer and no rank relays another's
 * data. Every peer connection has its own reader thread that drains the socket into a small queue,
 * so two ranks writing large blocks to each other at once cannot block each other's writes.
 *
 * <p>Ranks connect upwards (rank i dials every rank below it) after finding addresses through a
 * {@link Rendezvous}; a hello carrying (generation, size, rank) keeps a rank of an earlier attempt
 * out of a new group. Every wait, from connecting to each message, is bounded by the timeout.
 */
public final class TcpCollective implements Collective {
    private static final int MAGIC = 0x57445043; // "WDPC"
    private static final int QUEUE = 4;

    private final int rank;
    private final int size;
    private final long timeoutNanos;
    private final Peer[] peers;
    private final CollectiveStats stats = new CollectiveStats();
    private int sequence;
    private byte[] sendBuffer = new byte[0];
    private int sendLength;
    private volatile boolean closed;

    private TcpCollective(int rank, int size, long timeoutNanos) {
        this.rank = rank;
        this.size = size;
        this.timeoutNanos = timeoutNanos;
        this.peers = new Peer[size];
    }

    /**
     * Joins the group: binds on {@code bindHost}, publishes the address, connects to every other rank
     * of {@code generation}. Fails with a {@link CollectiveException} if the group is not complete
     * within the timeout.
     */
    public static TcpCollective open(int rank, int size, long generation, Rendezvous rendezvous, String bindHost,
                                     long timeoutMs) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " of a group of " + size);
        }
        TcpCollective c = new TcpCollective(rank, size, TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        if (size == 1) return c;
        long deadline = System.nanoTime() + c.timeoutNanos;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(bindHost, 0), size);
            rendezvous.publish(generation, rank, new InetSocketAddress(bindHost, server.getLocalPort()));
            c.dialLowerRanks(generation, rendezvous, deadline);
            c.acceptHigherRanks(server, generation, deadline);
            rendezvous.retract(generation, rank);
        } catch (IOException e) {
            c.close();
            throw new CollectiveException("rank " + rank + " could not join the group of " + size + ": " + e, e);
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new CollectiveException("interrupted while joining", e);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        for (Peer p : c.peers) {
            if (p != null) p.reader.start();
        }
        return c;
    }

    /** Connects to every lower rank of {@code generation} and introduces itself. */
    private void dialLowerRanks(long generation, Rendezvous rendezvous, long deadline) throws IOException, InterruptedException {
        for (int peer = 0; peer < rank; peer++) {
            InetSocketAddress at = rendezvous.await(generation, peer, deadline);
            if (at == null) throw timeout("rank " + peer + " never published its address");
            Socket s = dial(at, deadline);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(MAGIC);
            out.writeLong(generation);
            out.writeInt(size);
            out.writeInt(rank);
            out.flush();
            peers[peer] = new Peer(peer, s);
        }
    }

    /** Accepts every higher rank of {@code generation}; anything else that connects is closed. */
    private void acceptHigherRanks(ServerSocket server, long generation, long deadline) throws IOException {
        int missing = size - 1 - rank;
        while (missing > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw timeout(missing + " higher ranks never connected");
            server.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            Socket s;
            try {
                s = server.accept();
            } catch (SocketTimeoutException e) {
                continue;
            }
            s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            DataInputStream in = new DataInputStream(s.getInputStream());
            int magic, peerSize, peer;
            long gen;
            try {
                magic = in.readInt();
                gen = in.readLong();
                peerSize = in.readInt();
                peer = in.readInt();
            } catch (IOException e) {
                s.close(); // not one of ours, or gone
                continue;
            }
            if (magic != MAGIC || gen != generation || peerSize != size || peer <= rank || peer >= size
                    || peers[peer] != null) {
                s.close(); // a rank of another attempt or another group
                continue;
            }
            s.setSoTimeout(0);
            peers[peer] = new Peer(peer, s);
            missing--;
        }
    }

    private static Socket dial(InetSocketAddress at, long deadline) throws IOException, InterruptedException {
        while (true) {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(at, (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                return s;
            } catch (IOException e) {
                s.close();
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(20);
            }
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public CollectiveStats stats() {
        return stats;
    }

    @Override
    public void allGather(float[] mine, int[] counts, float[] out) {
        System.arraycopy(mine, 0, out, offset(counts, rank), counts[rank]);
        if (size == 1) return;
        ByteBuffer send = sendBuffer(counts[rank] * 4);
        send.asFloatBuffer().put(mine, 0, counts[rank]);
        exchange(counts, 4, (peer, in) -> in.asFloatBuffer().get(out, offset(counts, peer), counts[peer]));
    }

    @Override
    public void allGather(double[] mine, int[] counts, double[] out) {
        System.arraycopy(mine, 0, out, offset(counts, rank), counts[rank]);
        if (size == 1) return;
        ByteBuffer send = sendBuffer(counts[rank] * 8);
        send.asDoubleBuffer().put(mine, 0, counts[rank]);
        exchange(counts, 8, (peer, in) -> in.asDoubleBuffer().get(out, offset(counts, peer), counts[peer]));
    }

    private interface BlockSink {
        void accept(int peer, ByteBuffer littleEndian);
    }

    private static int offset(int[] counts, int rank) {
        int at = 0;
        for (int r = 0; r < rank; r++) at += counts[r];
        return at;
    }

    /** This rank's block, little-endian, in a buffer kept between calls. */
    private ByteBuffer sendBuffer(int bytes) {
        if (sendBuffer.length < bytes) sendBuffer = new byte[Math.max(bytes, sendBuffer.length * 2)];
        sendLength = bytes;
        return ByteBuffer.wrap(sendBuffer).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void exchange(int[] counts, int width, BlockSink sink) {
        byte[] buf = sendBuffer;
        int length = sendLength;
        if (closed) throw new CollectiveException("rank " + rank + ": the group is closed");
        long started = System.nanoTime();
        long deadline = started + timeoutNanos;
        int seq = ++sequence;
        for (Peer p : peers) {
            if (p == null) continue;
            try {
                p.out.writeInt(seq);
                p.out.writeInt(length);
                p.out.write(buf, 0, length);
                p.out.flush();
            } catch (IOException e) {
                throw new CollectiveException("rank " + rank + ": sending to rank " + p.rank + " failed: " + e, e);
            }
        }
        for (Peer p : peers) {
            if (p == null) continue;
            Frame f;
            try {
                f = p.frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException("rank " + rank + ": interrupted in a collective", e);
            }
            if (f == null) {
                throw timeout("rank " + p.rank + " sent nothing for collective " + seq);
            }
            if (f.error != null) {
                throw new CollectiveException("rank " + rank + ": the connection to rank " + p.rank + " broke: "
                        + f.error, f.error);
            }
            if (f.seq != seq || f.length != counts[p.rank] * width) {
                throw new CollectiveException(String.format("rank %d: rank %d sent collective %d of %d bytes, "
                        + "expected collective %d of %d bytes (the ranks disagree on the order of calls)",
                        rank, p.rank, f.seq, f.length, seq, counts[p.rank] * width));
            }
            sink.accept(p.rank, ByteBuffer.wrap(f.bytes, 0, f.length).order(ByteOrder.LITTLE_ENDIAN));
            p.free.offer(f.bytes);
        }
        stats.calls++;
        stats.nanos += System.nanoTime() - started;
        stats.bytesSent += (long) length * (size - 1);
    }

    private CollectiveException timeout(String what) {
        return new CollectiveException("rank " + rank + " of " + size + ": timed out after "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms: " + what);
    }

    @Override
    public void close() {
        closed = true;
        for (Peer p : peers) {
            if (p == null) continue;
            try {
                p.socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private record Frame(int seq, int length, byte[] bytes, IOException error) {}

    /** One connection, and the thread that drains it. */
    private final class Peer {
        final int rank;
        final Socket socket;
        final DataOutputStream out;
        final BlockingQueue<Frame> frames = new ArrayBlockingQueue<>(QUEUE);
        final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(QUEUE + 1);
        final Thread reader;

        Peer(int rank, Socket socket) throws IOException {
            this.rank = rank;
            this.socket = socket;
            socket.setTcpNoDelay(true);
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            this.reader = new Thread(() -> read(in), "collective-r" + TcpCollective.this.rank + "-from-r" + rank);
            reader.setDaemon(true);
        }

        private void read(DataInputStream in) {
            try {
                while (true) {
                    int seq = in.readInt();
                    int length = in.readInt();
                    byte[] bytes = free.poll();
                    if (bytes == null || bytes.length < length) bytes = new byte[length];
                    in.readFully(bytes, 0, length);
                    frames.put(new Frame(seq, length, bytes, null));
                }
            } catch (EOFException e) {
                if (!closed) frames.offer(new Frame(-1, 0, null, new IOException("rank " + rank + " closed the connection")));
            } catch (IOException e) {
                if (!closed) frames.offer(new Frame(-1, 0, null, e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
