package io.widedeep.bench.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.ThreadMXBean;
import io.widedeep.serving.ServingServer;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import io.widedeep.datasets.EventReader;
import io.widedeep.datasets.Readers;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.OnlineLearner;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.updates.SnapshotFiles;
import io.widedeep.schemas.ClickEvent;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code widedeep serve-bench}: latency of {@code POST /v1/recommend} ranking 100 candidates over
 * real HTTP on loopback, with 1 and 2 client threads, against a model trained on a file (by default
 * the Criteo-like configuration: 26 embeddings of 16, 13 numerics, MLP 256-128-64).
 */
public final class ServingBench {
    /** The serving bench's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep serve-bench --data FILE [--format criteo] [options]
            Trains a model on a file, then measures ranking in process and over HTTP (client in the same JVM;
            use load-bench for a client in another process).""")
            .table("""
                data        required  text                            the file to train on
                format      criteo    csv|criteo|avazu|movielens|obd  its format
                limit       50_000    1..                             examples trained before measuring
                candidates  100       1..10000                        candidates per request
                requests    5000      100..10_000_000                 requests per measurement
                """);

    public static void main(String[] argv) throws Exception {
        Settings s = CommandLine.parseOrExit("serve-bench", () -> OPTIONS.parse(argv));
        String format = s.string("format");
        int candidates = s.intValue("candidates");
        int requests = s.intValue("requests");

        FeatureSpec spec = Readers.defaultSpec(format);
        WideDeepModel model = WideDeepModel.create(spec);
        ClickEvent sample = train(model, format, Path.of(s.string("data")), s.intValue("limit"));
        Path dir = writeSnapshot(model);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < candidates; i++) ids.add("item-" + i);

        ObjectNode out = JSON.createObjectNode();
        out.put("candidates", candidates);
        out.put("dense_params", model.denseParams());
        try (ServingServer server = new ServingServer(new String[] {"--bootstrap.servers", "127.0.0.1:9",
                "--port", "0", "--host", "127.0.0.1", "--snapshot.dir", dir.toString(), "--max.candidates", "10000"})) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (!server.registry().ready() && System.currentTimeMillis() < deadline) Thread.sleep(20);
            measureInProcess(server, sample, ids, requests, out);
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/recommend");
            String body = requestBody(sample, ids);
            for (int threads = 1; threads <= 2; threads++) measureHttp(uri, body, threads, requests, candidates, out);
        }
        System.out.println(out);
        System.exit(0);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Trains the model on the file's first {@code limit} examples; returns the first event (the requests' user and context). */
    private static ClickEvent train(WideDeepModel model, String format, Path data, int limit) throws IOException {
        OnlineLearner learner = new OnlineLearner(model, 1000);
        ClickEvent sample = null;
        try (EventReader r = Readers.open(format, data, model.spec())) {
            for (int i = 0; i < limit && r.hasNext(); i++) {
                ClickEvent e = r.next();
                if (sample == null) sample = e;
                learner.add(e, null, e.getLabel());
            }
        }
        learner.flush();
        return sample;
    }

    /** A snapshot directory holding the model as the job would leave it, for the server to start from. */
    private static Path writeSnapshot(WideDeepModel model) throws IOException {
        Path dir = Files.createTempDirectory("widedeep-serve-bench");
        String name = SnapshotFiles.name(1, 1);
        Files.write(dir.resolve(name), ModelCodec.encodeFull(model, false));
        Files.writeString(dir.resolve(SnapshotFiles.LATEST), name);
        return dir;
    }

    private static String requestBody(ClickEvent sample, List<String> ids) throws IOException {
        ObjectNode req = JSON.createObjectNode();
        req.put("user_id", sample.getUserId());
        req.set("context", JSON.valueToTree(sample.getContext()));
        req.set("numeric", JSON.valueToTree(sample.getNumeric()));
        var cands = req.putArray("candidates");
        ids.forEach(cands::add);
        req.put("k", 10);
        return JSON.writeValueAsString(req);
    }

    /** The scoring itself, in process, without HTTP: latency and bytes allocated per request. */
    private static void measureInProcess(ServingServer server, ClickEvent sample, List<String> ids, int requests, ObjectNode out) {
        long[] direct = new long[requests];
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = 0;
        for (int i = 0; i < 2000 + requests; i++) {
            if (i == 2000) allocated = mx.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            server.recommender().recommend(sample.getUserId(), sample.getContext(), sample.getNumeric(), ids, 10);
            if (i >= 2000) direct[i - 2000] = System.nanoTime() - t0;
        }
        out.put("in_process_allocated_bytes_per_request", (mx.getCurrentThreadAllocatedBytes() - allocated) / requests);
        Arrays.sort(direct);
        out.put("in_process_p50_ms", direct[requests / 2] / 1e6);
        out.put("in_process_p99_ms", direct[(int) (requests * 0.99)] / 1e6);
    }

    /** {@code threads} clients, each on its own keep-alive connection, {@code requests} each. */
    private static void measureHttp(URI uri, String body, int threads, int requests, int candidates, ObjectNode out)
            throws InterruptedException {
        long[][] lat = new long[threads][];
        Thread[] ts = new Thread[threads];
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts[t] = new Thread(() -> lat[id] = run(uri, body, requests));
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] all = Arrays.stream(lat).flatMapToLong(Arrays::stream).sorted().toArray();
        String p = "threads" + threads + "_";
        out.put(p + "p50_ms", all[all.length / 2] / 1e6);
        out.put(p + "p99_ms", all[(int) (all.length * 0.99)] / 1e6);
        out.put(p + "requests_per_sec", Math.round(all.length / seconds));
        out.put(p + "candidates_per_sec", Math.round(all.length * (double) candidates / seconds));
    }

    /**
     * Warm-up, then {@code n} timed requests over one keep-alive connection; returns latencies in ns.
     * The load generator is a minimal blocking HTTP/1.1 client (the JDK's HttpClient adds milliseconds
     * of its own tail latency through its selector and executor threads, which is not the server's).
     */
    private static long[] run(URI uri, String body, int n) {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + uri.getPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long[] lat = new long[n];
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setTcpNoDelay(true);
            var out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            var in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            for (int i = 0; i < 2000 + n; i++) {
                long t0 = System.nanoTime();
                out.write(head);
                out.write(payload);
                out.flush();
                int status = readResponse(in);
                if (i >= 2000) lat[i - 2000] = System.nanoTime() - t0;
                if (status != 200) throw new IllegalStateException("status " + status);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lat;
    }

    /** Reads one response (status line, headers, Content-Length body); returns the status. */
    private static int readResponse(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int status = -1;
        int length = 0;
        while (true) {
            line.setLength(0);
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new EOFException("connection closed");
                if (c != '\r') line.append((char) c);
            }
            if (line.length() == 0) break;
            String l = line.toString();
            if (status < 0) status = Integer.parseInt(l.split(" ")[1]);
            else if (l.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Integer.parseInt(l.substring(15).trim());
        }
        in.readNBytes(length);
        return status;
    }
}
