package io.widedeep.bench.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open-loop client against a real HTTP server that fails every tenth request and stalls once for
 * 150 ms: failures are counted as errors, and the stall shows in the tail, because every request due
 * during it is measured from when it was due (a closed loop would have counted it once).
 */
class PacedLoadTest {
    @Test
    void countsErrorsAndMeasuresStallsFromTheSchedule(@TempDir Path dir) throws Exception {
        // the JDK server writes headers and body apart; without TCP_NODELAY Nagle and delayed ACKs add 40 ms
        System.setProperty("sun.net.httpserver.nodelay", "true");
        AtomicInteger seen = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/recommend", ex -> {
            ex.getRequestBody().readAllBytes();
            int n = seen.incrementAndGet();
            if (n == 155) { // not a multiple of ten: the stalled request itself is answered 200 and measured
                try {
                    Thread.sleep(150);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = "{\"items\":[]}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(n % 10 == 0 ? 500 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            // 2 connections, 200 requests/s for 3 s, no warm-up, 3 candidates, 10 users, 10 items
            PacedLoad.main(new String[] {"http://127.0.0.1:" + server.getAddress().getPort(), "2", "200", "3", "0", "3", "10", "10",
                    dir.resolve("slow.txt").toString(), dir.resolve("requests.bin").toString()});
        } finally {
            System.setOut(stdout);
            server.stop(0);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
        JsonNode r = new ObjectMapper().readTree(lines[lines.length - 1]);
        long ok = r.get("requests").asLong(), errors = r.get("errors").asLong();
        long sent = ok + errors;
        assertTrue(sent >= 590 && sent <= 602, "600 requests due in 3 s at 200/s, got " + sent);
        // the server answered 500 to every tenth request it saw (the measured ones and a few before)
        assertTrue(Math.abs(errors - sent / 10) <= 2, "errors " + errors + " of " + sent);
        assertTrue(r.get("max_ms").asDouble() >= 150, "the 150 ms stall is the maximum: " + r);
        assertTrue(r.get("p99_ms").asDouble() >= 50, "requests due during the stall waited for it: " + r);
        assertTrue(r.get("p50_ms").asDouble() < 50, "most requests were not near the stall: " + r);
        assertEquals(200.0, r.get("rate").asDouble());
        // every answered request is in the requests file, its schedule 5 ms apart per connection
        long[][] requests = MachineStalls.readRequests(dir.resolve("requests.bin"));
        assertEquals(ok, requests[0].length);
        assertEquals(r.get("max_ms").asDouble(), Arrays.stream(requests[1]).max().orElseThrow() / 1e6, 0.001);
        assertTrue(Files.readAllLines(dir.resolve("slow.txt")).size() >= 10, "the stall's requests are listed as slow");
    }
}
