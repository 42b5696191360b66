package io.widedeep.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.widedeep.embedded.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 10,000 hostile requests of many kinds, written byte by byte on raw sockets (so that malformed HTTP
 * really reaches the server): every one is answered with a 4xx and a JSON body, none with a 5xx, and
 * a good request is answered correctly afterwards.
 */
class HostileHttpIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Answer(int status, String body) {}

    private static String req(String method, String path, String type, byte[] body) {
        return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + (type == null ? "" : "Content-Type: " + type + "\r\n")
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
    }

    private static byte[] post(String path, String type, byte[] body) {
        return concat(req("POST", path, type, body).getBytes(StandardCharsets.ISO_8859_1), body);
    }

    private static byte[] post(String body) {
        return post("/v1/recommend", "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The kinds of hostile requests, by name; each a complete byte sequence to write. */
    private static Map<String, byte[]> kinds() {
        Map<String, byte[]> k = new TreeMap<>();
        String many = "[" + String.join(",", Collections.nCopies(10_000, "\"item\"")) + "]";
        k.put("invalid json", post("{not json"));
        k.put("wrong type", post("{\"user_id\":5}"));
        k.put("k as string", post("{\"user_id\":\"u\",\"k\":\"5\"}"));
        k.put("unknown field", post("{\"user_id\":\"u\",\"surprise\":1}"));
        k.put("NaN", post("{\"user_id\":\"u\",\"numeric\":{\"p\":NaN}}"));
        k.put("Infinity", post("{\"user_id\":\"u\",\"numeric\":{\"p\":1e999}}"));
        k.put("huge string", post("{\"user_id\":\"" + "x".repeat(200_000) + "\"}"));
        k.put("10,000 candidates", post("{\"user_id\":\"u\",\"candidates\":" + many + "}"));
        k.put("deep nesting", post("{\"user_id\":\"u\",\"context\":" + "[".repeat(5000) + "]".repeat(5000) + "}"));
        k.put("trailing garbage", post("{\"user_id\":\"u\"} {}"));
        k.put("empty body", post(""));
        k.put("null body", post("null"));
        k.put("array body", post("[1,2,3]"));
        k.put("invalid utf-8", post("/v1/recommend", "application/json",
                concat(ascii("{\"user_id\":\""), concat(new byte[] {(byte) 0xc3, (byte) 0x28, (byte) 0xff}, ascii("\"}")))));
        k.put("overlong utf-8", post("/v1/recommend", "application/json",
                concat(ascii("{\"user_id\":\""), concat(new byte[] {(byte) 0xc0, (byte) 0xaf}, ascii("\"}")))));
        k.put("body over the limit", post("/v1/recommend", "application/json", new byte[300_000]));
        k.put("wrong method", ascii("DELETE /v1/recommend HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        k.put("GET on recommend", ascii("GET /v1/recommend HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        k.put("FOO on metrics", ascii("FOO /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        k.put("POST on healthz", post("/healthz", "application/json", ascii("{}")));
        k.put("wrong content type", post("/v1/recommend", "text/plain", ascii("{\"user_id\":\"u\"}")));
        k.put("no content type", post("/v1/recommend", null, ascii("{\"user_id\":\"u\"}")));
        k.put("latin-1 charset", post("/v1/recommend", "application/json; charset=iso-8859-1", ascii("{\"user_id\":\"u\"}")));
        k.put("unknown path", post("/v2/everything", "application/json", ascii("{}")));
        k.put("malformed request line", ascii("GARBAGE\r\n\r\n"));
        k.put("bad content-length", ascii("POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}"));
        k.put("header flood", ascii("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Flood: " + "a".repeat(20_000) + "\r\n\r\n"));
        k.put("long uri", ascii("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        k.put("chunked over the limit", concat(ascii("POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"), chunked(300_000)));
        // headers and one chunk, then nothing: answered when the body deadline passes
        k.put("unfinished chunked", ascii("POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"use\r\n"));
        k.put("unfinished body", ascii("POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n{\"user_id\""));
        return k;
    }

    private static byte[] chunked(int total) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        java.util.Arrays.fill(chunk, (byte) ' ');
        for (int sent = 0; sent < total; sent += chunk.length) {
            out.writeBytes(ascii(Integer.toHexString(chunk.length) + "\r\n"));
            out.writeBytes(chunk);
            out.writeBytes(ascii("\r\n"));
        }
        out.writeBytes(ascii("0\r\n\r\n"));
        return out.toByteArray();
    }

    /** Writes the bytes (as much as the server takes) and reads one response. */
    private static Answer exchange(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // the server answered and closed before taking everything: read what it said
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    all.write(buf, 0, n);
                    if (complete(all.toString(StandardCharsets.ISO_8859_1))) break;
                }
            } catch (IOException e) {
                // reset after the answer
            }
            String text = all.toString(StandardCharsets.ISO_8859_1);
            int status = text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
            int bodyAt = text.indexOf("\r\n\r\n");
            return new Answer(status, bodyAt < 0 ? "" : text.substring(bodyAt + 4));
        }
    }

    /** Whether a Content-Length response has fully arrived. */
    private static boolean complete(String text) {
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) return false;
        String head = text.substring(0, end).toLowerCase();
        int at = head.indexOf("content-length:");
        if (at < 0) return false;
        int len = Integer.parseInt(head.substring(at + 15).split("\r\n")[0].trim());
        return text.length() - end - 4 >= len;
    }

    @Test
    void tenThousandHostileRequestsGetA4xxWithJsonAndNo5xx() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null)) {
            kafka.createTopic("hostile-updates", 1, Map.of());
            kafka.createTopic("hostile-features", 1, Map.of("cleanup.policy", "compact"));
            try (ServingServer s = new ServingServer(new String[] {"--bootstrap.servers", kafka.bootstrapServers(),
                    "--port", "0", "--host", "127.0.0.1", "--topic.updates", "hostile-updates", "--topic.features",
                    "hostile-features", "--max.candidates", "1000", "--body.timeout.ms", "1000", "--threads", "8",
                    "--scoring.concurrency", "1"}); // one request scored at a time: stalled uploads must not hold the turn
                 UpdatePublisher pub = new UpdatePublisher(kafka.bootstrapServers(), "hostile-updates", 11)) {
                pub.send(pub.next(true));
                long deadline = System.currentTimeMillis() + 30_000;
                while (!s.registry().ready()) {
                    assertTrue(System.currentTimeMillis() < deadline, "no model");
                    Thread.sleep(20);
                }
                Map<String, byte[]> kinds = kinds();
                List<String> names = new ArrayList<>(kinds.keySet());
                Map<String, Map<Integer, AtomicInteger>> seen = new ConcurrentHashMap<>();
                List<String> wrong = Collections.synchronizedList(new ArrayList<>());
                ExecutorService pool = Executors.newFixedThreadPool(32);
                List<Future<?>> done = new ArrayList<>();
                int total = 10_000;
                for (int i = 0; i < total; i++) {
                    String kind = names.get(i % names.size());
                    done.add(pool.submit(() -> {
                        Answer a = exchange(s.port(), kinds.get(kind));
                        seen.computeIfAbsent(kind, x -> new ConcurrentHashMap<>())
                                .computeIfAbsent(a.status(), x -> new AtomicInteger()).incrementAndGet();
                        boolean json;
                        try {
                            json = JSON.readTree(a.body()).has("error");
                        } catch (IOException e) {
                            json = false;
                        }
                        if (a.status() < 400 || a.status() >= 500 || !json) {
                            wrong.add(kind + " -> " + a.status() + " " + a.body().substring(0, Math.min(120, a.body().length())));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get();
                pool.shutdown();
                assertTrue(wrong.isEmpty(), wrong.size() + " wrong answers, e.g. " + wrong.subList(0, Math.min(5, wrong.size()))
                        + "; by kind: " + seen);
                assertEquals(names.size(), seen.size(), "every kind was answered: " + seen);
                System.out.println("hostile requests by kind and status: " + seen);

                Answer good = exchange(s.port(), post("{\"user_id\":\"u\",\"candidates\":[\"a\",\"b\",\"c\"],\"k\":2}"));
                assertEquals(200, good.status(), good.body());
                JsonNode r = JSON.readTree(good.body());
                assertEquals(2, r.get("items").size());
                assertEquals(1, r.get("model_version").asLong());

                // 40 uploads that never finish (more than the 8 worker threads) cost no worker
                List<Socket> stalled = new ArrayList<>();
                try {
                    for (int i = 0; i < 40; i++) {
                        Socket slow = new Socket("127.0.0.1", s.port());
                        slow.getOutputStream().write(kinds.get("unfinished body"));
                        slow.getOutputStream().flush();
                        stalled.add(slow);
                    }
                    Thread.sleep(200);
                    long t0 = System.nanoTime();
                    Answer quick = exchange(s.port(), post("{\"user_id\":\"u\",\"candidates\":[\"a\"]}"));
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertEquals(200, quick.status(), quick.body());
                    assertTrue(ms < 500, "a good request waited " + ms + " ms behind 40 stalled uploads");
                } finally {
                    for (Socket slow : stalled) slow.close();
                }
            }
        }
    }
}
