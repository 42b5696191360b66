package io.widedeep.bench.serving;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * When the whole machine stopped, from the {@link StallMeter}s of all its CPUs, and what a paced run's
 * latencies were outside those times.
 *
 * <p>On a shared virtual machine the host sometimes runs none of the guest's CPUs for tens of
 * milliseconds (traced here with the kernel's scheduler events: no event on either CPU for 10–41 ms,
 * several times a minute, while timers were due; the guest's steal counter stays 0). Every request
 * due or in flight then waits, whatever the server does. load-bench reports its figures as measured
 * and, beside them, over the requests that no machine stall touched, so a reader can tell the
 * server's tail from the host's. A request counts as touched when its interval from scheduled send
 * to answer overlaps a stall; requests queued behind a stall's backlog after it ended still count.
 */
final class MachineStalls {
    private MachineStalls() {}

    /** Latencies of requests that no machine stall touched, and how many were left out. */
    record Outside(int requests, int excluded, double p50Ms, double p99Ms, double p999Ms, double maxMs) {}

    /** A meter's late wake-ups as sorted {@code [from0, to0, from1, to1, ...]} nanos. */
    static long[] read(Path meterFile) throws IOException {
        List<String> lines = Files.readAllLines(meterFile);
        long[] out = new long[2 * lines.size()];
        int n = 0;
        for (String line : lines) {
            String[] p = line.trim().split(" ");
            if (p.length != 2) continue; // a line cut short by the meter's end
            out[n++] = Long.parseLong(p[0]);
            out[n++] = Long.parseLong(p[1]);
        }
        return Arrays.copyOf(out, n);
    }

    /** The times every CPU's meter was late at once, as sorted {@code [from, to, ...]} nanos. */
    static long[] intersect(List<long[]> perCpu) {
        long[] all = perCpu.get(0);
        for (int i = 1; i < perCpu.size(); i++) all = intersect(all, perCpu.get(i));
        return all;
    }

    private static long[] intersect(long[] a, long[] b) {
        long[] out = new long[Math.min(a.length, b.length) * 2 + 2];
        int n = 0, i = 0, j = 0;
        while (i < a.length && j < b.length) {
            long from = Math.max(a[i], b[j]), to = Math.min(a[i + 1], b[j + 1]);
            if (from < to) {
                if (n == out.length) out = Arrays.copyOf(out, 2 * n);
                out[n++] = from;
                out[n++] = to;
            }
            if (a[i + 1] < b[j + 1]) i += 2;
            else j += 2;
        }
        return Arrays.copyOf(out, n);
    }

    /** The stalls of {@code stalls} that lie within {@code [from, to)}, each at least {@code minNs} long. */
    static long[] within(long[] stalls, long from, long to, long minNs) {
        long[] out = new long[stalls.length];
        int n = 0;
        for (int i = 0; i < stalls.length; i += 2) {
            if (stalls[i + 1] > from && stalls[i] < to && stalls[i + 1] - stalls[i] >= minNs) {
                out[n++] = stalls[i];
                out[n++] = stalls[i + 1];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Percentiles over the requests ({@code due[i]}, {@code latency[i]}) whose time overlaps no stall. */
    static Outside outside(long[] due, long[] latency, long[] stalls) {
        long[] kept = new long[due.length];
        int n = 0;
        for (int i = 0; i < due.length; i++) {
            if (!overlaps(stalls, due[i], due[i] + latency[i])) kept[n++] = latency[i];
        }
        long[] sorted = Arrays.copyOf(kept, n);
        Arrays.sort(sorted);
        return new Outside(n, due.length - n, PacedLoad.pct(sorted, 50), PacedLoad.pct(sorted, 99),
                PacedLoad.pct(sorted, 99.9), n == 0 ? 0 : sorted[n - 1] / 1e6);
    }

    private static boolean overlaps(long[] stalls, long from, long to) {
        for (int i = 0; i < stalls.length; i += 2) {
            if (stalls[i] < to && stalls[i + 1] > from) return true;
        }
        return false;
    }

    /** The longest of the stalls, in ms. */
    static double longestMs(long[] stalls) {
        long max = 0;
        for (int i = 0; i < stalls.length; i += 2) max = Math.max(max, stalls[i + 1] - stalls[i]);
        return max / 1e6;
    }

    /** A paced run's requests as written by {@link PacedLoad}: {@code count, (due, latency) * count}. */
    static void writeRequests(Path file, long[] due, long[] latency, int n) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(n);
            for (int i = 0; i < n; i++) {
                out.writeLong(due[i]);
                out.writeLong(latency[i]);
            }
        }
    }

    /** {@code [due[], latency[]]} as written by {@link #writeRequests}. */
    static long[][] readRequests(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            int n = in.readInt();
            long[][] out = new long[2][n];
            for (int i = 0; i < n; i++) {
                out[0][i] = in.readLong();
                out[1][i] = in.readLong();
            }
            return out;
        }
    }
}
