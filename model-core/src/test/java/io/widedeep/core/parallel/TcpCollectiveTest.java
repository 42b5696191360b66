package io.widedeep.core.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TcpCollectiveTest {
    @Test
    void allGatherConcatenatesInRankOrderAndAllReduceGivesEveryRankTheSameBits() throws Exception {
        int size = 3;
        TcpCollective[] g = InProcessRendezvous.group(size, 10_000);
        ExecutorService pool = Executors.newFixedThreadPool(size);
        try {
            // blocks of uneven sizes, and large enough (4 MB) that both directions fill socket buffers at once
            int big = 1 << 20;
            Future<?>[] f = new Future<?>[size];
            float[][] reduced = new float[size][];
            float[][] gathered = new float[size][];
            for (int r = 0; r < size; r++) {
                int rank = r;
                f[r] = pool.submit(() -> {
                    int[] counts = {2, 3, 1};
                    float[] mine = new float[counts[rank]];
                    for (int i = 0; i < mine.length; i++) mine[i] = rank * 10 + i;
                    float[] out = new float[6];
                    g[rank].allGather(mine, counts, out);
                    gathered[rank] = out;
                    float[] data = new float[big];
                    for (int i = 0; i < big; i++) data[i] = (float) Math.sin(i * 0.001 + rank) * 1e-3f * (rank + 1);
                    g[rank].allReduceSum(data, big, new float[big * size]);
                    reduced[rank] = data;
                    return null;
                });
            }
            for (Future<?> x : f) x.get();
            for (int r = 0; r < size; r++) {
                assertArrayEquals(new float[] {0, 1, 10, 11, 12, 20}, gathered[r]);
                assertArrayEquals(reduced[0], reduced[r], 0f); // the same bits everywhere
            }
            float expected = 0f;
            for (int r = 0; r < size; r++) expected += (float) Math.sin(7 * 0.001 + r) * 1e-3f * (r + 1);
            assertEquals(expected, reduced[1][7], 0f);
            assertTrue(g[0].stats().bytesSent > 2L * big * 4, "rank 0 sent its 4 MB block to both peers");
        } finally {
            pool.shutdownNow();
            for (TcpCollective c : g) c.close();
        }
    }

    @Test
    void aStalledPeerEndsInATimeoutNotAHang() throws Exception {
        TcpCollective[] g = InProcessRendezvous.group(2, 400);
        try {
            long t0 = System.nanoTime();
            // rank 1 never takes part
            CollectiveException e = assertThrows(CollectiveException.class,
                    () -> g[0].allGather(new double[] {1}, new int[] {1, 1}, new double[2]));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(ms >= 350 && ms < 5_000, "waited " + ms + " ms");
        } finally {
            for (TcpCollective c : g) c.close();
        }
    }

    @Test
    void aPeerThatLeavesBreaksTheCollectiveAtOnce() throws Exception {
        TcpCollective[] g = InProcessRendezvous.group(2, 30_000);
        g[1].close();
        long t0 = System.nanoTime();
        CollectiveException e = assertThrows(CollectiveException.class,
                () -> g[0].allGather(new float[] {1}, new int[] {1, 1}, new float[2]));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 10_000, "did not wait for the 30 s timeout");
        assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
        g[0].close();
    }

    @Test
    void aRankOfAnotherGenerationCannotJoin() throws Exception {
        InProcessRendezvous rv = new InProcessRendezvous();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<TcpCollective> zero = pool.submit(() -> TcpCollective.open(0, 2, 7, rv, "127.0.0.1", 800));
            // an earlier attempt's rank 1 that finds the new rank 0's address: its hello names generation 6
            Rendezvous misdirected = new Rendezvous() {
                @Override
                public void publish(long generation, int rank, java.net.InetSocketAddress address) {}

                @Override
                public java.net.InetSocketAddress await(long generation, int rank, long deadline) throws InterruptedException {
                    return rv.await(7, rank, deadline);
                }
            };
            Future<TcpCollective> stale = pool.submit(() -> TcpCollective.open(1, 2, 6, misdirected, "127.0.0.1", 800));
            var e0 = assertThrows(java.util.concurrent.ExecutionException.class, zero::get);
            assertTrue(e0.getCause() instanceof CollectiveException, String.valueOf(e0.getCause()));
            assertTrue(e0.getCause().getMessage().contains("never connected"), e0.getCause().getMessage());
            TcpCollective s1 = stale.get(); // it connected, but rank 0 hung up on it
            var e1 = assertThrows(CollectiveException.class, () -> s1.allGather(new float[] {1}, new int[] {1, 1}, new float[2]));
            assertTrue(e1.getMessage().contains("rank 0"), e1.getMessage());
            s1.close();
        } finally {
            pool.shutdownNow();
        }
    }
}
