package io.widedeep.core.parallel;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Addresses in memory: for a group whose ranks are threads of one JVM (benchmarks, tests). */
public final class InProcessRendezvous implements Rendezvous {
    private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();

    @Override
    public void publish(long generation, int rank, InetSocketAddress address) {
        addresses.put(generation + "/" + rank, address);
    }

    @Override
    public InetSocketAddress await(long generation, int rank, long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            InetSocketAddress a = addresses.get(generation + "/" + rank);
            if (a != null) return a;
            Thread.sleep(5);
        }
        return null;
    }

    /** Opens a whole group of {@code size} ranks on loopback, one thread per rank. */
    public static TcpCollective[] group(int size, long timeoutMs) throws Exception {
        InProcessRendezvous rv = new InProcessRendezvous();
        TcpCollective[] group = new TcpCollective[size];
        Thread[] threads = new Thread[size];
        Throwable[] failure = new Throwable[1];
        for (int r = 0; r < size; r++) {
            int rank = r;
            threads[r] = new Thread(() -> {
                try {
                    group[rank] = TcpCollective.open(rank, size, 1, rv, "127.0.0.1", timeoutMs);
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            threads[r].start();
        }
        for (Thread t : threads) t.join();
        if (failure[0] != null) throw new AssertionError("group did not open", failure[0]);
        return group;
    }
}
