package io.widedeep.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.OptionException;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.datasets.Readers;
import io.widedeep.core.model.OnlineLearner;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.parallel.Collective;
import io.widedeep.core.parallel.InProcessRendezvous;
import io.widedeep.core.parallel.Rendezvous;
import io.widedeep.core.parallel.TcpCollective;
import io.widedeep.core.spec.FeatureSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code widedeep scale-bench}: trains the same batches with N synchronous trainers (threads of one
 * JVM, exchanging over loopback TCP exactly as trainer subtasks do) for each N asked, and prints per
 * step the compute time, the time in collectives and the bytes each trainer sent, with examples/s.
 * From the one- and two-trainer compute times it separates the replicated sparse part S from the
 * split dense part D, and projects the scaling efficiency at 4 and 8 trainers on a network of the
 * given bandwidth and latency: step(N) = S + D/N + bytes(N)/bandwidth + collectives x latency.
 */
public final class ScaleBench {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep scale-bench --data FILE --format criteo [options]
            Trains the same batches with 1, 2, 4 ... synchronous trainers and prints one JSON line with each
            run's per-step compute and collective time, bytes exchanged and examples/s, and the projected
            scaling efficiency on a cluster network.""")
            .table("""
                data            required  text                            the file to replay
                format          required  csv|criteo|avazu|movielens|obd  its format: %s
                spec            -         text                            feature spec JSON file (default: the format's built-in spec)
                limit           100_000   1..100_000_000                  examples to train (read into memory first)
                batch           -         1..65536                        global batch size (default: the spec's)
                trainers        1,2,4     text                            trainer counts to run, comma-separated
                timed           0.9       0.01..1.0                       share of the batches timed, the last ones (the first train untimed: JIT, and tables filling up)
                network.gbps    10        0.1..10000.0                    bandwidth of the projected cluster network, Gbit/s
                network.rtt.us  50        0.0..100000.0                   latency of one message on it, microseconds
                """.formatted(String.join(", ", Readers.FORMATS)));

    private ScaleBench() {}

    public static void main(String[] argv) throws Exception {
        Settings args = CommandLine.parseOrExit("scale-bench", () -> OPTIONS.parse(argv));
        System.out.println(run(args));
    }

    record RankResult(double pvLogLoss, long stepNanos, long denseNanos, long collectiveNanos, long bytesSent, long collectives) {}

    static ObjectNode run(Settings args) throws Exception {
        String format = args.choice("format");
        Path data = Path.of(args.string("data"));
        if (!Files.isRegularFile(data)) throw new OptionException("--data", "no such file: " + data);
        FeatureSpec spec = args.has("spec") ? FeatureSpec.load(Path.of(args.string("spec"))) : Readers.defaultSpec(format);
        if (args.has("batch")) spec = spec.withBatchSize(args.intValue("batch"));
        List<ExampleBatch> batches = read(format, data, spec, args.longValue("limit"));
        long examples = 0;
        for (ExampleBatch b : batches) examples += b.size();

        ObjectNode out = MAPPER.createObjectNode();
        out.put("examples", examples).put("batch", spec.batchSize()).put("cores", Runtime.getRuntime().availableProcessors());
        ArrayNode runs = out.putArray("runs");
        Map<Integer, ObjectNode> byN = new HashMap<>();
        double timed = args.doubleValue("timed");
        for (String t : args.string("trainers").split(",")) {
            int n = Integer.parseInt(t.trim());
            if (n < 1 || n > 16) throw new OptionException("--trainers", "each count must be in 1..16, not " + n);
            ObjectNode r = runWith(n, spec, batches, timed);
            runs.add(r);
            byN.put(n, r);
            System.err.println("scale-bench: " + r);
        }
        if (byN.containsKey(1) && byN.containsKey(2)) {
            project(out, byN.get(1), byN.get(2), spec, args.doubleValue("network.gbps"),
                    args.doubleValue("network.rtt.us"));
        }
        return out;
    }

    private static ObjectNode runWith(int n, FeatureSpec spec, List<ExampleBatch> batches, double timed) throws Exception {
        int warm = batches.size() - (int) (batches.size() * timed);
        Rendezvous rv = new InProcessRendezvous();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<RankResult>> ranks = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                ranks.add(pool.submit(() -> {
                    try (Collective group = TcpCollective.open(rank, n, 1, rv, "127.0.0.1", 60_000)) {
                        return train(spec, batches, group, warm);
                    }
                }));
            }
            long wall = System.nanoTime();
            List<RankResult> results = new ArrayList<>();
            for (Future<RankResult> f : ranks) results.add(f.get());
            wall = System.nanoTime() - wall;
            RankResult r0 = results.get(0);
            long steps = batches.size() - warm;
            double stepMs = r0.stepNanos / 1e6 / steps;
            double collectiveMs = r0.collectiveNanos / 1e6 / steps;
            ObjectNode o = MAPPER.createObjectNode();
            o.put("trainers", n);
            o.put("step_ms", round(stepMs));
            o.put("compute_ms_per_step", round(stepMs - collectiveMs));
            o.put("collective_ms_per_step", round(collectiveMs));
            // the MLP's share of compute: its slice's passes, without the collectives inside them
            o.put("dense_ms_per_step", round(r0.denseNanos / 1e6 / steps - collectiveMs));
            o.put("bytes_sent_per_step_per_trainer", Math.round((double) r0.bytesSent / steps));
            o.put("examples_per_sec", Math.round(spec.batchSize() / (stepMs / 1000)));
            o.put("examples_per_sec_per_trainer", Math.round(spec.batchSize() / (stepMs / 1000) / n));
            o.put("pv_logloss", Math.round(r0.pvLogLoss * 1e6) / 1e6);
            o.put("wall_seconds", round(wall / 1e9));
            return o;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One rank: trains every batch, timing those from {@code warm} on. */
    private static RankResult train(FeatureSpec spec, List<ExampleBatch> batches, Collective group, int warm) {
        WideDeepModel m = WideDeepModel.create(spec);
        m.setDataParallel(group);
        OnlineLearner learner = new OnlineLearner(m, 10_000);
        long stepNanos = 0, denseAtWarm = 0, collectiveAtWarm = 0, bytesAtWarm = 0, callsAtWarm = 0;
        for (int i = 0; i < batches.size(); i++) {
            if (i == warm) {
                collectiveAtWarm = group.stats().nanos;
                denseAtWarm = m.denseNanos();
                bytesAtWarm = group.stats().bytesSent;
                callsAtWarm = group.stats().calls;
            }
            long t0 = System.nanoTime();
            learner.train(batches.get(i));
            if (i >= warm) stepNanos += System.nanoTime() - t0;
        }
        Collective.CollectiveStats s = group.stats();
        return new RankResult(learner.metrics().logLoss(), stepNanos, m.denseNanos() - denseAtWarm, s.nanos - collectiveAtWarm,
                s.bytesSent - bytesAtWarm, s.calls - callsAtWarm);
    }

    /**
     * Compute per step is S + D/N: D, the MLP's forward and backward passes, is split over the
     * trainers; S (sparse lookups, the wide part, the optimizers) runs on every trainer. Both are
     * taken from the one-trainer run, which has a core to itself. Each trainer sends, per step, the
     * MLP gradient and its slice's outputs and input gradients to every peer, in 3 collectives.
     */
    private static void project(ObjectNode out, ObjectNode one, ObjectNode two, FeatureSpec spec, double gbps, double rttUs) {
        double c1 = one.get("compute_ms_per_step").asDouble();
        double dense = one.get("dense_ms_per_step").asDouble();
        double sparse = c1 - dense;
        double perPeerBytes = two.get("bytes_sent_per_step_per_trainer").asDouble(); // N = 2: one peer
        double gradientBytes = 4.0 * WideDeepModel.create(spec).denseParams();
        double sliceBytesAtTwo = Math.max(0, perPeerBytes - gradientBytes); // outputs and input gradients of B/2 rows
        ObjectNode p = out.putObject("projection");
        p.put("sparse_ms_per_step", round(sparse));
        p.put("dense_ms_per_step_one_trainer", round(dense));
        p.put("network_gbps", gbps);
        p.put("network_rtt_us", rttUs);
        for (int n : new int[] {4, 8}) {
            double bytes = (n - 1) * (gradientBytes + sliceBytesAtTwo * 2.0 / n);
            double comm = bytes * 8 / (gbps * 1e9) * 1000 + 3 * rttUs / 1000;
            double step = sparse + dense / n + comm;
            ObjectNode q = p.putObject("n" + n);
            q.put("step_ms", round(step));
            q.put("bytes_sent_per_step_per_trainer", Math.round(bytes));
            q.put("efficiency", round(c1 / (n * step)));
        }
    }

    private static List<ExampleBatch> read(String format, Path data, FeatureSpec spec, long limit) throws Exception {
        List<ExampleBatch> batches = new ArrayList<>();
        try (ExampleStream in = new ExampleStream(format, data, spec, limit)) {
            ExampleBatch batch = in.newBatch();
            while (in.fill(batch)) {
                batches.add(batch);
                batch = in.newBatch();
            }
        }
        return batches;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
