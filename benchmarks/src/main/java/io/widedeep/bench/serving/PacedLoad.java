package io.widedeep.bench.serving;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator, run by {@code widedeep load-bench --rate R} in its own JVM: each of
 * {@code connections} keep-alive connections sends {@code /v1/recommend} on a fixed schedule
 * ({@code rate / connections} requests per second, the connections' schedules staggered), and a
 * request's latency is measured from the time it <em>should</em> have been sent, not from when it
 * was. A closed loop (wrk) sends the next request only after the last answer, so a stall delays
 * the few requests in flight and then stops the clock ("coordinated omission"); on a schedule, every
 * request due during a stall counts the stall. This is how a fleet of independent clients sees a
 * server, at a load the operator chose rather than whatever the box saturates at.
 *
 * <p>The measuring loop allocates nothing: requests are encoded once, responses are read into one
 * buffer per connection, latencies go into a preallocated array. Prints one JSON line, with the same
 * fields as load-bench's wrk script plus the rate asked for and achieved.
 */
public final class PacedLoad {
    private PacedLoad() {}

    /**
     * {@code URL CONNECTIONS RATE SECONDS WARMUP_SECONDS CANDIDATES USERS ITEMS [SLOW_LOG [REQUESTS_FILE]]}:
     * the requests file gets every measured request's scheduled send and latency (nanos), for
     * {@link MachineStalls}.
     */
    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        int connections = Integer.parseInt(args[1]);
        double rate = Double.parseDouble(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        byte[][] requests = requests(url, Integer.parseInt(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]));

        long intervalNs = Math.round(connections * 1e9 / rate);
        long start = System.nanoTime() + 200_000_000L; // every connection open before the first send
        long measureFrom = start + warmup * 1_000_000_000L;
        long end = measureFrom + seconds * 1_000_000_000L;
        Connection[] cs = new Connection[connections];
        Thread[] threads = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            cs[i] = new Connection(url, requests, start + i * intervalNs / connections, intervalNs, measureFrom, end);
            threads[i] = new Thread(cs[i], "paced-" + i);
            threads[i].start();
        }
        for (Thread t : threads) t.join();

        int n = 0;
        long errors = 0;
        for (Connection c : cs) {
            n += c.count;
            errors += c.errors;
        }
        long[] all = new long[n];
        long[] due = new long[n];
        int at = 0;
        for (Connection c : cs) {
            System.arraycopy(c.latencies, 0, all, at, c.count);
            System.arraycopy(c.dueAt, 0, due, at, c.count);
            at += c.count;
        }
        if (args.length > 8) writeSlow(cs, Path.of(args[8]), start);
        if (args.length > 9) MachineStalls.writeRequests(Path.of(args[9]), due, all, n);
        Arrays.sort(all);
        double secs = (end - measureFrom) / 1e9;
        System.out.printf(Locale.ROOT, "{\"requests\":%d,\"errors\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
                        + "\"max_ms\":%.3f,\"rps\":%.1f,\"rate\":%.1f,\"latency_from\":\"scheduled send\"}%n",
                n, errors, pct(all, 50), pct(all, 99), pct(all, 99.9), n == 0 ? 0 : all[n - 1] / 1e6, n / secs, rate);
    }

    /** Requests over 3 ms as "seconds-since-epoch latency-ms", for lining up with server and GC logs. */
    private static void writeSlow(Connection[] cs, Path file, long startNanos) throws IOException {
        long wallAtStart = System.currentTimeMillis() * 1_000_000L - (System.nanoTime() - startNanos);
        List<String> lines = new ArrayList<>();
        for (Connection c : cs) {
            for (int i = 0; i < c.count; i++) {
                if (c.latencies[i] > 3_000_000L) {
                    lines.add(String.format(Locale.ROOT, "%.4f %.2f", (wallAtStart + c.dueAt[i] - startNanos) / 1e9, c.latencies[i] / 1e6));
                }
            }
        }
        lines.sort(null);
        Files.write(file, lines);
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    /** The same request mix as the wrk script: a random user, {@code candidates} consecutive items. */
    static byte[][] requests(URI url, int candidates, int users, int items) {
        Random random = new Random(42);
        byte[][] out = new byte[256][];
        for (int b = 0; b < out.length; b++) {
            StringBuilder body = new StringBuilder("{\"user_id\":\"user-").append(random.nextInt(users)).append("\",\"candidates\":[");
            int first = random.nextInt(items);
            for (int i = 0; i < candidates; i++) {
                if (i > 0) body.append(',');
                body.append("\"item-").append((first + i) % items).append('"');
            }
            body.append("],\"k\":10}");
            byte[] json = body.toString().getBytes(StandardCharsets.UTF_8);
            String head = "POST /v1/recommend HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n";
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            out[b] = Arrays.copyOf(h, h.length + json.length);
            System.arraycopy(json, 0, out[b], h.length, json.length);
        }
        return out;
    }

    private static final class Connection implements Runnable {
        final URI url;
        final byte[][] requests;
        final long first, interval, measureFrom, end;
        final long[] latencies;
        final long[] dueAt;
        final byte[] buf = new byte[1 << 16];
        int count;
        long errors;
        Socket socket;
        InputStream in;
        OutputStream out;
        static final AtomicLong REQUEST = new AtomicLong();

        Connection(URI url, byte[][] requests, long first, long interval, long measureFrom, long end) {
            this.url = url;
            this.requests = requests;
            this.first = first;
            this.interval = interval;
            this.measureFrom = measureFrom;
            this.end = end;
            this.latencies = new long[(int) ((end - measureFrom) / interval) + 2];
            this.dueAt = new long[latencies.length];
        }

        @Override
        public void run() {
            for (long due = first; due < end; due += interval) {
                long wait;
                while ((wait = due - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
                boolean ok = send(requests[(int) (REQUEST.getAndIncrement() & 255)]);
                long latency = System.nanoTime() - due;
                if (due < measureFrom) continue;
                if (!ok) errors++;
                else if (count < latencies.length) {
                    dueAt[count] = due;
                    latencies[count++] = latency;
                }
            }
            close();
        }

        /** Sends one request and reads its response; false on a non-2xx status or a broken connection. */
        boolean send(byte[] request) {
            try {
                if (socket == null) connect();
                out.write(request);
                out.flush();
                return readResponse();
            } catch (IOException e) {
                close();
                return false;
            }
        }

        private void connect() throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 2000);
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        private void close() {
            try {
                if (socket != null) socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }

        /** Reads a response with a Content-Length body; a chunked or unframed one is an error. */
        private boolean readResponse() throws IOException {
            int have = 0, headerEnd = -1;
            while (headerEnd < 0) {
                int r = in.read(buf, have, buf.length - have);
                if (r < 0) throw new IOException("connection closed");
                have += r;
                headerEnd = indexOfBlankLine(buf, have);
                if (headerEnd < 0 && have == buf.length) throw new IOException("header too large");
            }
            int status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
            long length = contentLength(buf, headerEnd);
            if (length < 0) throw new IOException("response without Content-Length");
            long remaining = headerEnd + length - have;
            while (remaining > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                if (r < 0) throw new IOException("connection closed");
                remaining -= r;
            }
            return status >= 200 && status < 300;
        }

        private static int indexOfBlankLine(byte[] b, int n) {
            for (int i = 3; i < n; i++) {
                if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') return i + 1;
            }
            return -1;
        }

        private static final byte[] CONTENT_LENGTH = "\ncontent-length:".getBytes(StandardCharsets.US_ASCII);

        private static long contentLength(byte[] b, int headerEnd) {
            byte[] name = CONTENT_LENGTH;
            outer:
            for (int i = 0; i + name.length < headerEnd; i++) {
                for (int k = 0; k < name.length; k++) {
                    int c = b[i + k];
                    if (c >= 'A' && c <= 'Z') c += 32;
                    if (c != name[k]) continue outer;
                }
                long v = 0;
                int j = i + name.length;
                while (b[j] == ' ') j++;
                while (b[j] >= '0' && b[j] <= '9') v = v * 10 + (b[j++] - '0');
                return v;
            }
            return -1;
        }
    }
}
