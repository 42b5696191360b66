package io.widedeep.bench;

import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.ConfigException;
import io.widedeep.core.config.OptionException;
import io.widedeep.core.config.OptionSet;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.core.config.Settings;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.datasets.Readers;
import io.widedeep.core.metrics.ProgressiveValidation;
import io.widedeep.core.model.OnlineLearner;
import io.widedeep.core.model.DenseBackend;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * {@code widedeep bench}: replays a file in order through the learner with progressive validation
 * and prints one JSON line with throughput and quality. Parsing runs on its own thread; training runs
 * on exactly one thread (the figure that matters for a trainer operator).
 */
public final class Bench {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String VARIANTS = "widedeep,wide,deep";
    /** The bench's options: what parses them is what {@code --help} prints. */
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep bench --data FILE --format csv|criteo|avazu|movielens|obd [options]
            Replays a file in order through the learner with progressive validation (every example scored
            before it is trained on) and prints one JSON line: examples/s, PV log loss and AUC, calibration,
            and the running-CTR and constant-CTR baselines.""")
            .table("""
                data     required  text                            the file to replay
                format   required  csv|criteo|avazu|movielens|obd  its format: %s
                spec     -         text                            feature spec JSON file (default: the format's built-in spec)
                set      -         text                            spec options to override, KEY=VALUE[,KEY=VALUE...] (e.g. deep.interaction=none,ftrl.l1=1)
                limit    -         1..                             stop after this many examples (default: all)
                model    widedeep  text                            variant: widedeep, wide, deep, deepfm or dcn (cross layers)
                compare  -         text                            run several variants on the same file and print a table (default list: %s)
                batch    -         1..65536                        mini-batch size (default: the spec's training.batch_size)
                backend  nd4j      %s          where the MLP's passes run (torch-cuda: on a GPU, see gpu-check)
                device   0         0..63                           torch-cuda: the CUDA device
                quiet    false     true|false                      no progress lines on stderr
                """.formatted(String.join(", ", Readers.FORMATS), VARIANTS, DenseBackend.labels()));

    public static void main(String[] argv) throws Exception {
        Settings args = CommandLine.parseOrExit("bench", () -> OPTIONS.parse(argv));
        try {
            if (args.has("compare")) {
                String list = args.string("compare");
                compare(args, List.of((list.equals("true") ? VARIANTS : list).split(",")), System.out);
            } else {
                System.out.println(run(args));
            }
        } catch (ConfigException e) {
            System.err.println("widedeep bench: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * {@code --compare widedeep,wide,deep}: the variants one after the other on the same file, a table
     * of their quality and speed beside the running-CTR and hindsight-constant baselines, and one JSON
     * line with every run.
     */
    static void compare(Settings args, List<String> models, PrintStream out) throws Exception {
        ArrayNode runs = MAPPER.createArrayNode();
        for (String m : models) {
            runs.add(run(args, m.trim()));
        }
        out.printf("%-11s %9s %8s %11s %10s %7s %12s%n", "model", "logloss", "auc", "last20 ll", "last20 auc",
                "calib", "examples/s");
        for (JsonNode r : runs) {
            out.printf("%-11s %9.5f %8.5f %11.5f %10.5f %7.4f %,12d%n", r.get("model").asText(), r.get("logloss").asDouble(),
                    r.get("auc").asDouble(), r.get("logloss_last20").asDouble(), r.get("auc_last20").asDouble(),
                    r.get("calibration").asDouble(), r.get("examples_per_sec").asLong());
        }
        JsonNode first = runs.get(0);
        out.printf("%-11s %9.5f %8s %11.5f%n", "running CTR", first.get("running_ctr_logloss").asDouble(), "",
                first.get("running_ctr_logloss_last20").asDouble());
        out.printf("%-11s %9.5f   (the constant CTR, known only in hindsight)%n", "constant", first.get("baseline_logloss").asDouble());
        ObjectNode line = MAPPER.createObjectNode();
        line.set("compare", runs);
        out.println(line);
    }

    public static String run(Settings args) throws Exception {
        return run(args, args.string("model")).toString();
    }

    static ObjectNode run(Settings args, String model) throws Exception {
        String format = args.choice("format");
        Path data = Path.of(args.string("data"));
        if (!Files.isRegularFile(data)) {
            throw new OptionException("--data", "no such file: " + data);
        }
        FeatureSpec spec = spec(args, format, model);
        WideDeepModel m = WideDeepModel.create(spec);
        DenseBackend backend = DenseBackend.of(args.string("backend"));
        m.useDenseBackend(backend, args.intValue("device"));
        OnlineLearner learner = new OnlineLearner(m, 10_000);
        PredictionLog log = new PredictionLog();
        learner.setListener(log);
        BatchReader reader = new BatchReader(format, data, spec, args.has("limit") ? args.longValue("limit") : Long.MAX_VALUE);
        boolean quiet = args.bool("quiet");

        reader.start();
        long start = System.nanoTime();
        long lastReport = start;
        long examples = 0;
        for (ExampleBatch batch = reader.next(); batch != null; batch = reader.next()) {
            learner.train(batch);
            examples += batch.size();
            reader.recycle(batch);
            long now = System.nanoTime();
            if (!quiet && now - lastReport > 2_000_000_000L) {
                lastReport = now;
                ProgressiveValidation pvm = learner.metrics();
                System.err.printf("%,d examples  %.0f/s  logloss %.4f  auc %.4f%n", examples,
                        examples / ((now - start) / 1e9), pvm.logLoss(), pvm.auc());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        reader.rethrow();
        ObjectNode out = report(learner.metrics(), log, examples, seconds);
        out.put("model", model);
        out.put("format", format);
        out.put("batch", spec.batchSize());
        out.put("backend", backend.label());
        out.put("dense_seconds", Math.round(m.denseNanos() / 1e6) / 1e3); // the MLP's passes: the part a backend changes
        out.put("wide_nonzero", m.wideNonZero());
        out.put("counter_weight", m.counterWeight());
        if (spec.interactionGate()) {
            float[] gates = m.interactionGates(); // the FM term's pair weights: their mean and the largest
            double sum = 0, max = 0;
            for (float g : gates) {
                sum += g;
                max = Math.max(max, g);
            }
            out.put("interaction_gate_mean", sum / gates.length);
            out.put("interaction_gate_max", max);
        }
        out.put("wide_coordinates", m.wideSize());
        out.put("embedding_rows", m.embeddingRows());
        out.put("dense_params", m.denseParams());
        return out;
    }

    /** The spec to bench: --spec or the format's, as the variant asked for, with --batch applied. */
    private static FeatureSpec spec(Settings args, String format, String model) throws Exception {
        FeatureSpec spec = args.has("spec") ? FeatureSpec.load(Path.of(args.string("spec"))) : Readers.defaultSpec(format);
        if (args.has("set")) {
            for (String kv : args.string("set").split(",(?=[A-Za-z_]+\\.[A-Za-z_.]+=)")) { // a comma inside a value ([64,32]) stays
                int eq = kv.indexOf('=');
                if (eq < 1) throw new OptionException("--set", "expected KEY=VALUE, got '" + kv + "'");
                spec = spec.with(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        spec = spec.variant(model);
        if (args.has("batch")) spec = spec.withBatchSize(args.intValue("batch"));
        return spec;
    }

    /** Quality and speed of a run, beside the running-CTR and constant-CTR baselines. */
    private static ObjectNode report(ProgressiveValidation pvm, PredictionLog log, long examples, double seconds) {
        int n = log.count;
        int tailStart = n - n / 5;
        ProgressiveValidation tail = new ProgressiveValidation(0);
        for (int i = tailStart; i < n; i++) tail.add(log.p[i], log.y[i]);
        ObjectNode out = MAPPER.createObjectNode();
        out.put("examples", examples);
        out.put("seconds", round(seconds, 3));
        out.put("examples_per_sec", Math.round(examples / seconds));
        out.put("logloss", round(pvm.logLoss(), 5));
        out.put("auc", round(ProgressiveValidation.exactAuc(log.p, log.y, n), 5));
        out.put("logloss_last20", round(tail.logLoss(), 5));
        out.put("auc_last20", round(ProgressiveValidation.exactAuc(Arrays.copyOfRange(log.p, tailStart, n),
                Arrays.copyOfRange(log.y, tailStart, n), n - tailStart), 5));
        out.put("normalized_entropy", round(pvm.normalizedEntropy(), 5));
        out.put("calibration", round(pvm.calibration(), 4));
        out.put("ctr", round(pvm.ctr(), 5));
        out.put("baseline_logloss", round(ProgressiveValidation.entropy(pvm.ctr()), 5)); // known only in hindsight
        out.put("running_ctr_logloss", round(ProgressiveValidation.runningCtrLogLoss(log.y, 0, n), 5));
        out.put("running_ctr_logloss_last20", round(ProgressiveValidation.runningCtrLogLoss(log.y, tailStart, n), 5));
        return out;
    }

    /** Every progressive-validation prediction and label, in growable primitive arrays. */
    private static final class PredictionLog implements OnlineLearner.PredictionListener {
        float[] p = new float[1 << 16];
        byte[] y = new byte[1 << 16];
        int count;

        @Override
        public void onPrediction(int row, float prediction, float label) {
            if (count == p.length) {
                p = Arrays.copyOf(p, count * 2);
                y = Arrays.copyOf(y, count * 2);
            }
            p[count] = prediction;
            y[count++] = (byte) (label >= 0.5f ? 1 : 0);
        }
    }

    /**
     * Like the streaming job, features are extracted upstream of the trainer (where user histories
     * live): this thread parses and extracts into batches, the one trainer thread only trains. Four
     * batches circulate between the two.
     */
    private static final class BatchReader extends Thread {
        private final BlockingQueue<ExampleBatch> full = new ArrayBlockingQueue<>(4);
        private final BlockingQueue<ExampleBatch> free = new ArrayBlockingQueue<>(4);
        private final ExampleBatch end;
        private final String format;
        private final Path data;
        private final FeatureSpec spec;
        private final long limit;
        private volatile Throwable error;

        BatchReader(String format, Path data, FeatureSpec spec, long limit) {
            super("bench-reader");
            setDaemon(true);
            this.format = format;
            this.data = data;
            this.spec = spec;
            this.limit = limit;
            FeatureExtractor extractor = new FeatureExtractor(spec);
            for (int i = 0; i < 4; i++) free.add(extractor.newBatch(spec.batchSize()));
            this.end = extractor.newBatch(1);
        }

        @Override
        public void run() {
            try (ExampleStream in = new ExampleStream(format, data, spec, limit)) {
                ExampleBatch batch = free.take();
                while (in.fill(batch)) {
                    full.put(batch);
                    batch = free.take();
                }
            } catch (Throwable t) {
                error = t;
            } finally {
                try {
                    full.put(end);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** The next full batch, or null at the end of the input. */
        ExampleBatch next() throws InterruptedException {
            ExampleBatch b = full.take();
            return b == end ? null : b;
        }

        void recycle(ExampleBatch b) throws InterruptedException {
            free.put(b);
        }

        void rethrow() {
            if (error != null) {
                throw new IllegalStateException("reading " + data + " failed: " + error.getMessage(), error);
            }
        }
    }

    private static double round(double v, int digits) {
        if (!Double.isFinite(v)) return v;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
