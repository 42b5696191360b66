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
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Set;

/**
 * {@code widedeep checkpoint-bench}: what a checkpoint costs the trainer as the model grows. Trains
 * a file in order and, when the model has trained each of the given numbers of examples, writes the
 * model the two ways the job can: whole (with optimizer state, {@code --checkpoint.model full}) and
 * as the increment since a checkpoint {@code interval} examples earlier (the default), each encoded
 * and written to a file and forced to disk. Prints one JSON line with the pause and the bytes of each.
 */
public final class CheckpointBench {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    public static final OptionSet OPTIONS = new OptionSet("""
            widedeep checkpoint-bench --data FILE --format criteo [options]
            Trains a file in order and measures, at the given example counts, the pause and the bytes of a
            checkpoint of the whole model and of an increment since the checkpoint before.""")
            .table("""
                data      required           text                            the file to replay
                format    required           csv|criteo|avazu|movielens|obd  its format: %s
                spec      -                  text                            feature spec JSON file (default: the format's built-in spec)
                at        100_000,1_000_000  text                            example counts to measure at, comma-separated, increasing
                interval  34_000             1..100_000_000                  examples between two checkpoints (a 2 s interval at 17,000 examples/s)
                """.formatted(String.join(", ", Readers.FORMATS)));

    private CheckpointBench() {}

    public static void main(String[] argv) throws Exception {
        Settings args = CommandLine.parseOrExit("checkpoint-bench", () -> OPTIONS.parse(argv));
        System.out.println(run(args));
    }

    static ObjectNode run(Settings args) throws Exception {
        String format = args.choice("format");
        Path data = Path.of(args.string("data"));
        if (!Files.isRegularFile(data)) throw new OptionException("--data", "no such file: " + data);
        FeatureSpec spec = args.has("spec") ? FeatureSpec.load(Path.of(args.string("spec"))) : Readers.defaultSpec(format);
        long[] at = Arrays.stream(args.string("at").replace("_", "").split(",")).mapToLong(Long::parseLong).toArray();
        long interval = args.longValue("interval");
        for (int i = 0; i < at.length; i++) {
            if (at[i] <= interval || (i > 0 && at[i] <= at[i - 1] + interval)) {
                throw new OptionException("--at", "counts must increase by more than --interval (" + interval + ")");
            }
        }
        WideDeepModel m = WideDeepModel.create(spec);
        ModelCodec.encodeFull(m, true);
        ModelCodec.startIncrements(m);
        float[] p = new float[spec.batchSize()];
        Path scratch = Files.createTempFile("widedeep-checkpoint-bench", ".bin");
        ObjectNode out = MAPPER.createObjectNode();
        ArrayNode marks = out.putArray("checkpoints");
        long trained = 0;
        int next = 0;
        try (ExampleStream in = new ExampleStream(format, data, spec, Long.MAX_VALUE)) {
            ExampleBatch batch = in.newBatch();
            while (next < at.length && in.fill(batch) && batch.isFull()) {
                m.trainBatch(batch, p);
                trained += batch.size();
                if (trained >= at[next] - interval && trained - batch.capacity() < at[next] - interval) {
                    ModelCodec.encodeIncrement(m); // the checkpoint before the measured one
                }
                if (trained >= at[next]) {
                    marks.add(measure(m, trained, scratch));
                    System.err.println("checkpoint-bench: " + marks.get(marks.size() - 1));
                    next++;
                }
            }
        } finally {
            Files.deleteIfExists(scratch);
        }
        if (next < at.length) throw new OptionException("--at", "the file holds only " + trained + " examples");
        out.put("interval", interval);
        return out;
    }

    private static ObjectNode measure(WideDeepModel m, long trained, Path scratch) throws IOException {
        long t0 = System.nanoTime();
        byte[] full = ModelCodec.encodeFull(m, true);
        write(scratch, full);
        long fullNanos = System.nanoTime() - t0;
        t0 = System.nanoTime();
        WideDeepModel copy = m.servingCopy(); // what the trainer's thread pays for a periodic full snapshot
        long copyNanos = System.nanoTime() - t0;
        t0 = System.nanoTime();
        byte[] serving = ModelCodec.encodeFull(copy, false); // what the encoder thread pays
        long servingNanos = System.nanoTime() - t0;
        t0 = System.nanoTime();
        byte[] increment = ModelCodec.encodeIncrement(m);
        long incEncodeNanos = System.nanoTime() - t0;
        write(scratch, increment);
        long incNanos = System.nanoTime() - t0;
        ObjectNode o = MAPPER.createObjectNode();
        o.put("examples", trained);
        o.put("wide_rows", m.wideSize());
        o.put("embedding_rows", m.embeddingRows());
        o.put("full_pause_ms", Math.round(fullNanos / 1e5) / 10.0);
        o.put("full_bytes", full.length);
        o.put("increment_pause_ms", Math.round(incNanos / 1e5) / 10.0);
        o.put("increment_bytes", increment.length);
        o.put("increment_encode_ms", millis(incEncodeNanos));
        o.put("serving_copy_ms", millis(copyNanos));
        o.put("serving_snapshot_encode_ms", millis(servingNanos));
        o.put("serving_snapshot_bytes", serving.length);
        return o;
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e5) / 10.0;
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
    }
}
