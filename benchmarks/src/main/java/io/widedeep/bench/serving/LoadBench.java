package io.widedeep.bench.serving;

import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.OptionException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.core.config.Settings;
import io.widedeep.serving.ServingServer;
import io.widedeep.serving.os.SchedulerSlice;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code widedeep load-bench}: drives a server from other processes, as production traffic would.
 * With {@code --bootstrap.servers} it starts its own server (a separate JVM, launched like
 * {@code widedeep serve}, with a GC and safepoint log) on the given Kafka, e.g. the demo's, so it
 * serves while live updates arrive; with {@code --url} it loads a server that is already running.
 * Each concurrency level is a closed loop of {@code wrk} (Debian package) connections after a warm-up,
 * or with {@code --rate} an open loop of {@link PacedLoad}; requests carry {@code --candidates}
 * simulator items for a random simulator user. Reported per level: p50/p99/p99.9/max, requests/s,
 * errors, model versions applied during the run (from the server's {@code /metrics}), the device
 * interrupts the server's CPUs took ({@link DeviceInterrupts}) and, for a server it started, the
 * longest GC pause and safepoint in the run; paced runs also report the machine's stalls and their
 * figures outside them ({@link StallMeter}, {@link MachineStalls}).
 */
public final class LoadBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The load bench's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep load-bench --bootstrap.servers HOST:PORT [--snapshot.dir DIR] | --url URL  [options]
            Loads a recommendation server from other processes (wrk's closed loop, or --rate's open loop) and prints
            one JSON line with latency percentiles, throughput, errors, versions applied, the longest GC pause,
            device interrupts on the server's CPUs and (with --rate) the machine's stalls per run.""")
            .table("""
                url                -                text            load a running server at this URL
                bootstrap.servers  -                text            or start a server JVM on this Kafka (e.g. the demo's)
                snapshot.dir       -                text            the started server's --snapshot.dir
                concurrency        1,4,16           text            connections of each run, comma-separated
                duration           30               1..3600         seconds per run
                warmup             30               0..3600         seconds of warm-up before the first run
                rate               0                0.0..1000000.0  0: closed loop (wrk); R > 0: R requests/s on a fixed schedule over the connections, latency from the scheduled send (a client JVM of its own)
                candidates         100              1..10000        candidates per request
                users              2000             1..10_000_000   distinct users in the requests
                items              300              1..10_000_000   distinct items in the candidates
                dir                runs/load-bench  text            where the script, the server's log, its GC log and the paced runs' slow requests (> 3 ms) go
                heap               2g               text            the started server's heap
                server.cpus        -                text            pin the started server to these CPUs (taskset list, e.g. 1), as a host of its own would be
                client.cpus        -                text            pin the load generator (wrk or the paced client) to these CPUs, e.g. 0
                client.slice.us    100              0..100_000      Linux scheduler slice of the load generator, as serve's sched.slice.us (0: kernel default)
                stall.meter        true             true|false      with --rate: a stall meter on every CPU (a small JVM each) finds when the whole machine stopped; each run also reports its figures outside those times
                serve.*            -                -               options for the started server, e.g. --serve.scoring.concurrency 0
                """);

    public static void main(String[] argv) throws Exception {
        Settings s = CommandLine.parseOrExit("load-bench", () -> checked(OPTIONS.parse(argv)));
        List<Integer> levels = new ArrayList<>();
        for (String c : s.string("concurrency").split(",")) levels.add(Integer.parseInt(c.trim()));
        int duration = s.intValue("duration");
        int warmup = s.intValue("warmup");
        int candidates = s.intValue("candidates");
        Path dir = Path.of(s.string("dir"));
        Files.createDirectories(dir);
        Path script = WrkScript.write(dir, candidates, s.intValue("users"), s.intValue("items"));
        String clientSlice = clientSlice(s.longValue("client.slice.us"));

        Process server = null;
        Path gcLog = dir.resolve("serve-gc.log");
        String url = s.has("url") ? s.string("url") : null;
        if (url == null) {
            int port = freePort();
            server = startServer(s, port, gcLog, dir.resolve("serve.log"));
            url = "http://localhost:" + port;
        }
        List<Process> meters = new ArrayList<>();
        List<Path> meterFiles = new ArrayList<>();
        try {
            awaitReady(url, server);
            double rate = s.doubleValue("rate");
            if (rate > 0 && s.bool("stall.meter")) startMeters(s, dir, meters, meterFiles);
            ArrayNode runs = JSON.createArrayNode();
            if (warmup > 0) {
                System.err.printf("warm-up: %d s at concurrency %d%n", warmup, levels.get(levels.size() - 1));
                wrk(s, script, url, levels.get(levels.size() - 1), warmup);
            }
            for (int i = 0; i < levels.size(); i++) {
                int c = levels.get(i);
                ServerMetrics before = ServerMetrics.scrape(url);
                Map<String, long[]> irqsBefore = s.has("server.cpus") ? DeviceInterrupts.read() : Map.of();
                // the paced client lists its slow requests with wall-clock times, to line up with the server's logs
                Path slow = dir.resolve("slow-" + (i + 1) + "-c" + c + ".txt");
                Path requests = dir.resolve("requests-" + (i + 1) + "-c" + c + ".bin");
                ObjectNode run = rate > 0 ? paced(s, url, c, rate, duration, slow, requests) : wrk(s, script, url, c, duration);
                if (!meters.isEmpty()) addStalls(run, requests, meterFiles);
                ServerMetrics after = ServerMetrics.scrape(url);
                if (s.has("server.cpus")) putInterrupts(run, s.string("server.cpus"), irqsBefore);
                putRunFigures(run, c, before, after, server == null ? null : gcLog);
                System.err.println(describe(run));
                runs.add(run);
            }
            System.out.println(JSON.writeValueAsString(summary(candidates, duration, rate, server == null ? url : null, clientSlice, runs)));
        } finally {
            for (Process m : meters) m.destroy();
            if (server != null) {
                server.destroy();
                server.waitFor();
            }
        }
    }

    /** The device interrupts the server's CPUs took during the run (a host's disk or network can stall it). */
    private static void putInterrupts(ObjectNode run, String cpus, Map<String, long[]> before) throws IOException {
        ObjectNode irqs = run.putObject("server_cpu_interrupts");
        DeviceInterrupts.on(DeviceInterrupts.cpuList(cpus), before, DeviceInterrupts.read()).forEach(irqs::put);
    }

    /** The bench's JSON line; {@code url} is the server loaded, null for the one the bench started. */
    private static ObjectNode summary(int candidates, int duration, double rate, String url, String clientSlice, ArrayNode runs) {
        ObjectNode out = JSON.createObjectNode();
        out.put("bench", "load");
        out.put("candidates", candidates);
        out.put("duration_s", duration);
        out.put("load", rate > 0 ? "open loop, " + rate + " requests/s per run (PacedLoad, own JVM)" : "closed loop (wrk)");
        out.put("server", url != null ? url : "separate JVM started by the bench (ZGC)");
        out.put("client_slice", clientSlice);
        out.set("runs", runs);
        return out;
    }

    /** Options that depend on each other: a server to load (given or started), CPU lists as taskset takes them. */
    private static Settings checked(Settings parsed) {
        if (parsed.has("url") == parsed.has("bootstrap.servers")) {
            throw new OptionException("--url", "give either --url of a running server or --bootstrap.servers to start one");
        }
        for (String cpus : List.of("server.cpus", "client.cpus")) {
            if (parsed.has(cpus) && !parsed.string(cpus).matches("[0-9]+([-,][0-9]+)*")) {
                throw new OptionException("--" + cpus, "a CPU list such as 1 or 0,2-3, not '" + parsed.string(cpus) + "'");
            }
        }
        return parsed;
    }

    /** What setting the load generator's scheduler slice gave (its threads inherit it). */
    private static String clientSlice(long micros) {
        if (micros > 0 && micros < 100) {
            throw new OptionException("--client.slice.us", "must be 0 or in [100, 100000], got " + micros);
        }
        try (SchedulerSlice probe = SchedulerSlice.forThreadsStartedHere(micros)) {
            return probe.outcome();
        }
    }

    /** The server's side of a run: versions applied and, for a server the bench started, its longest pauses. */
    private static void putRunFigures(ObjectNode run, int c, ServerMetrics before, ServerMetrics after, Path gcLog) throws IOException {
        run.put("concurrency", c);
        run.put("versions_applied", (long) (after.updatesApplied() - before.updatesApplied()));
        run.put("model_version_start", before.modelVersion());
        run.put("model_version_end", after.modelVersion());
        if (gcLog != null) {
            GcLog.Pauses p = GcLog.read(gcLog, before.uptimeSeconds(), after.uptimeSeconds());
            run.put("max_gc_pause_ms", p.maxGcPauseMs());
            run.put("max_safepoint_ms", p.maxSafepointMs());
        }
    }

    private static String describe(ObjectNode r) {
        String line = String.format("c=%d: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms, %.0f req/s, %d errors, %d versions applied%s",
                r.get("concurrency").asInt(), r.get("p50_ms").asDouble(), r.get("p99_ms").asDouble(),
                r.get("p999_ms").asDouble(), r.get("max_ms").asDouble(), r.get("rps").asDouble(), r.get("errors").asLong(),
                r.get("versions_applied").asLong(), r.has("max_gc_pause_ms")
                        ? String.format(", longest GC pause %.3f ms, longest safepoint %.3f ms",
                        r.get("max_gc_pause_ms").asDouble(), r.get("max_safepoint_ms").asDouble()) : "");
        if (r.has("server_cpu_interrupts") && !r.get("server_cpu_interrupts").isEmpty()) {
            StringBuilder irqs = new StringBuilder();
            r.get("server_cpu_interrupts").fields().forEachRemaining(e -> irqs.append(irqs.isEmpty() ? "" : ", ")
                    .append(e.getKey()).append(' ').append(e.getValue().asLong()));
            line += String.format("%n     device interrupts on the server's CPUs: %s", irqs);
        }
        if (!r.has("machine_stalls")) return line;
        JsonNode o = r.get("outside_stalls");
        return line + String.format("%n     machine stalls %d (longest %.1f ms); the %d requests outside them: p99 %.2f ms, p99.9 %.2f ms, max %.1f ms",
                r.get("machine_stalls").asInt(), r.get("machine_stall_max_ms").asDouble(), o.get("requests").asInt(),
                o.get("p99_ms").asDouble(), o.get("p999_ms").asDouble(), o.get("max_ms").asDouble());
    }

    /**
     * One {@link StallMeter} JVM pinned to each CPU, in this process's slice scope like the load
     * generator. They run from before the warm-up to the end of the last run.
     */
    private static void startMeters(Settings s, Path dir, List<Process> meters, List<Path> files) throws IOException {
        for (int cpu = 0; cpu < Runtime.getRuntime().availableProcessors(); cpu++) {
            Path file = dir.resolve("stalls-cpu" + cpu + ".txt");
            Files.deleteIfExists(file);
            files.add(file);
            List<String> cmd = new ArrayList<>(List.of("taskset", "-c", String.valueOf(cpu)));
            cmd.addAll(childJvm(List.of("-Xms16m", "-Xmx16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                    StallMeter.class, List.of(file.toAbsolutePath().toString())));
            meters.add(startWithClientSlice(s, new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)));
        }
    }

    /**
     * The command for a JVM of the bench's own: this JVM's {@code java} and class path, the options,
     * and {@code main} run by {@link EndsWithParent}, so that it ends when the bench does.
     */
    static List<String> childJvm(List<String> options, Class<?> main, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EndsWithParent.class.getName(), main.getName()));
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Starts a process of the client side (load generator, stall meter) with the slice of
     * {@code client.slice.us}: a client that measures latency must not wait for the CPU behind a
     * neighbour's batch work more than a client on a host of its own would.
     */
    private static Process startWithClientSlice(Settings s, ProcessBuilder process) throws IOException {
        try (SchedulerSlice slice = SchedulerSlice.forThreadsStartedHere(s.longValue("client.slice.us"))) {
            return process.start();
        }
    }

    /** The run's machine stalls (every CPU's meter late at once, 1 ms or more) and its figures outside them. */
    private static void addStalls(ObjectNode run, Path requestsFile, List<Path> meterFiles) throws IOException {
        long[][] requests = MachineStalls.readRequests(requestsFile);
        long from = Long.MAX_VALUE, to = Long.MIN_VALUE;
        for (int i = 0; i < requests[0].length; i++) {
            from = Math.min(from, requests[0][i]);
            to = Math.max(to, requests[0][i] + requests[1][i]);
        }
        List<long[]> perCpu = new ArrayList<>();
        for (Path f : meterFiles) perCpu.add(MachineStalls.read(f));
        long[] stalls = MachineStalls.within(MachineStalls.intersect(perCpu), from, to, 1_000_000L);
        MachineStalls.Outside o = MachineStalls.outside(requests[0], requests[1], stalls);
        run.put("machine_stalls", stalls.length / 2);
        run.put("machine_stall_max_ms", MachineStalls.longestMs(stalls));
        ObjectNode out = run.putObject("outside_stalls");
        out.put("requests", o.requests());
        out.put("excluded", o.excluded());
        out.put("p50_ms", o.p50Ms());
        out.put("p99_ms", o.p99Ms());
        out.put("p999_ms", o.p999Ms());
        out.put("max_ms", o.maxMs());
    }


    /** One closed-loop run of wrk; its script's {@code done} prints the summary as one JSON line. */
    private static ObjectNode wrk(Settings s, Path script, String url, int connections, int seconds) throws Exception {
        List<String> cmd = pinned(s, "client.cpus", List.of("wrk", "-t1", "-c" + connections, "-d" + seconds + "s",
                "--timeout", "10s", "-s", script.toString(), url + "/v1/recommend"));
        return lastJsonLine(s, cmd, "wrk");
    }

    /**
     * One open-loop run of {@link PacedLoad} in its own JVM, after 10 s of its own warm-up (not counted):
     * with 3 s the client's JIT was still compiling its send loop, and a late send counts as latency.
     * C1 only: a C2 compilation of the client's code 10 s in held the CPU the client shares with the
     * server for 87 ms (traced), and the client's loop needs no more than C1 makes of it.
     */
    private static ObjectNode paced(Settings s, String url, int connections, double rate, int seconds, Path slowLog,
                                    Path requests) throws Exception {
        List<String> cmd = pinned(s, "client.cpus", childJvm(
                List.of("-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), PacedLoad.class,
                List.of(url, String.valueOf(connections), String.valueOf(rate), String.valueOf(seconds), "10",
                        s.string("candidates"), s.string("users"), s.string("items"),
                        slowLog.toAbsolutePath().toString(), requests.toAbsolutePath().toString())));
        return lastJsonLine(s, cmd, "paced client");
    }

    /** Runs a load generator (with the client slice) to its end and reads the JSON summary it prints last. */
    private static ObjectNode lastJsonLine(Settings s, List<String> cmd, String what) throws Exception {
        Process p = startWithClientSlice(s, new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT));
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException(what + " failed: " + out);
        return (ObjectNode) JSON.readTree(out.strip().lines().reduce((a, b) -> b).orElse(""));
    }

    private static Process startServer(Settings s, int port, Path gcLog, Path log) throws IOException {
        // the JVM options ./widedeep serve uses, handed over by the launcher
        List<String> options = new ArrayList<>(List.of("-Xmx" + s.string("heap")));
        options.addAll(List.of(System.getProperty("widedeep.serving.jvm", "-XX:+UseZGC").trim().split("\\s+")));
        options.add("-Xlog:gc*,safepoint:file=" + gcLog.toAbsolutePath() + ":time,uptime,level,tags");
        List<String> args = new ArrayList<>(List.of("--bootstrap.servers", s.string("bootstrap.servers"),
                "--port", String.valueOf(port)));
        if (s.has("snapshot.dir")) args.addAll(List.of("--snapshot.dir", s.string("snapshot.dir")));
        s.withPrefix("serve.").forEach((k, v) -> args.addAll(List.of("--" + k, String.valueOf(v))));
        // setsid: its own session, so its own scheduling group (autogroup), as a server on its own host would be
        List<String> session = new ArrayList<>(List.of("setsid"));
        session.addAll(childJvm(options, ServingServer.class, args));
        System.err.println("starting a server in a separate JVM on port " + port + " (log: " + log + ")");
        return new ProcessBuilder(pinned(s, "server.cpus", session)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    /** The command run under {@code taskset -c LIST} when the option names CPUs. */
    private static List<String> pinned(Settings s, String option, List<String> cmd) {
        if (!s.has(option)) return cmd;
        List<String> out = new ArrayList<>(List.of("taskset", "-c", s.string(option)));
        out.addAll(cmd);
        return out;
    }

    private static void awaitReady(String url, Process server) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (server != null && !server.isAlive()) throw new IOException("the server exited: see its log");
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/readyz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IOException("no model served at " + url + " within 120 s");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

}
