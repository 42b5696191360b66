package io.widedeep.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.widedeep.core.config.CommandLine;
import io.widedeep.core.config.OptionSet;
import io.widedeep.core.config.Settings;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.model.DenseBackend;
import io.widedeep.core.model.DenseGradientCheck;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.datasets.Readers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code widedeep gpu-check}: what a user runs on a GPU TaskManager before trusting it with a trainer.
 * The MLP's gradient check (float64, against finite differences) and the Criteo-shaped bench at
 * several batch sizes, on ND4J and libtorch on the CPU and, where libtorch sees a CUDA device, on
 * it. Where there is none it says why, runs the CPU part and names what it would have run on CUDA.
 * Prints a table on stderr and one JSON line; exits 1 if a check failed.
 */
public final class GpuCheck {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep gpu-check [options]
            Checks the dense backends on this machine: the gradient check and the Criteo-shaped bench on ND4J,
            libtorch on the CPU and libtorch on CUDA (when there is a GPU), at each batch size. One JSON line.""")
            .table("""
                data     -               text        a Criteo-layout file to bench on (default: a generated Criteo-shaped stream)
                rows     200_000         1000..      examples per bench run
                batches  256,1024,4096   text        batch sizes to bench, comma-separated
                device   0               0..63       the CUDA device to check
                no.gpu   -               text        why this machine has no GPU to check (set by ./widedeep gpu-check)
                """);

    private GpuCheck() {}

    public static void main(String[] argv) throws Exception {
        Settings args = CommandLine.parseOrExit("gpu-check", () -> OPTIONS.parse(argv));
        StringBuilder why = new StringBuilder(args.has("no.gpu") ? args.string("no.gpu") + "; " : "");
        int devices = DenseBackend.cudaDevices(why);
        int device = args.intValue("device");
        List<DenseBackend> backends = new ArrayList<>(List.of(DenseBackend.ND4J, DenseBackend.TORCH_CPU));
        if (devices > 0) backends.add(DenseBackend.TORCH_CUDA);
        List<Integer> batches = new ArrayList<>();
        for (String b : args.string("batches").split(",")) batches.add(Integer.parseInt(b.trim()));

        Path data = args.has("data") ? Path.of(args.string("data"))
                : CriteoShapedFile.write(Files.createTempFile("widedeep-gpu-check", ".tsv"), args.intValue("rows"), 42);
        ObjectNode out = MAPPER.createObjectNode();
        out.put("cuda_devices", devices);
        if (devices == 0) {
            out.put("no_gpu", why.toString());
            System.err.println("gpu-check: no GPU here (" + why + "): running the CPU part");
        }
        boolean ok = true;
        ArrayNode checks = out.putArray("gradient_check");
        for (DenseBackend b : backends) {
            DenseGradientCheck.Result r = gradientCheck(data, b, device);
            ok &= r.passed();
            checks.addObject().put("backend", b.label()).put("passed", r.passed()).put("checked", r.checked())
                    .put("worst_error_over_tolerance", r.worstRatio()).put("kinks", r.kinks());
            System.err.printf("gradient check  %-10s %s (%d parameters, worst error %.3f of the tolerance)%n",
                    b.label(), r.passed() ? "passed" : "FAILED", r.checked(), r.worstRatio());
        }
        ArrayNode runs = out.putArray("bench");
        System.err.printf("%-10s %6s %12s %9s %8s %9s%n", "backend", "batch", "examples/s", "logloss", "auc", "dense s");
        for (DenseBackend b : backends) {
            for (int batch : batches) {
                JsonNode r = bench(data, b, batch, device, args.intValue("rows"));
                runs.addObject().put("backend", b.label()).put("batch", batch)
                        .put("examples_per_sec", r.get("examples_per_sec").asLong()).put("logloss", r.get("logloss").asDouble())
                        .put("auc", r.get("auc").asDouble()).put("dense_seconds", r.get("dense_seconds").asDouble());
                System.err.printf("%-10s %6d %,12d %9.5f %8.5f %9.2f%n", b.label(), batch, r.get("examples_per_sec").asLong(),
                        r.get("logloss").asDouble(), r.get("auc").asDouble(), r.get("dense_seconds").asDouble());
            }
        }
        if (devices == 0) {
            ArrayNode would = out.putArray("would_run_on_cuda");
            would.add("gradient check on torch-cuda (device " + device + ")");
            for (int batch : batches) would.add("bench torch-cuda batch " + batch);
        }
        out.put("passed", ok);
        if (!args.has("data")) Files.deleteIfExists(data);
        System.out.println(out);
        if (!ok) System.exit(1);
    }

    /** Three warm-up batches of 256, then a probe batch of 64 from the file. */
    private static DenseGradientCheck.Result gradientCheck(Path data, DenseBackend backend, int device) throws Exception {
        FeatureSpec spec = Readers.defaultSpec("criteo").withBatchSize(256);
        List<ExampleBatch> warmup = new ArrayList<>();
        try (ExampleStream in = new ExampleStream("criteo", data, spec, Long.MAX_VALUE)) {
            for (int i = 0; i < 3; i++) {
                ExampleBatch b = in.newBatch();
                in.fill(b);
                warmup.add(b);
            }
        }
        FeatureSpec probeSpec = spec.withBatchSize(64);
        try (ExampleStream in = new ExampleStream("criteo", data, probeSpec, Long.MAX_VALUE)) {
            ExampleBatch probe = in.newBatch();
            in.fill(probe);
            return DenseGradientCheck.run(spec, backend, device, warmup, probe, 3);
        }
    }

    private static JsonNode bench(Path data, DenseBackend backend, int batch, int device, int rows) throws Exception {
        Settings s = Bench.OPTIONS.parse(new String[] {"--data", data.toString(), "--format", "criteo", "--batch",
            String.valueOf(batch), "--backend", backend.label(), "--device", String.valueOf(device), "--limit",
            String.valueOf(rows), "--quiet", "true"});
        return Bench.run(s, s.string("model"));
    }
}
