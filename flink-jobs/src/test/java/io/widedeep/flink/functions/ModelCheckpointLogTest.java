package io.widedeep.flink.functions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.model.ModelCodec;
import io.widedeep.core.model.WideDeepModel;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** The model log on a real file system: chains restore bit for bit, compact in the background, and are pruned. */
class ModelCheckpointLogTest {
    private static final FeatureSpec SPEC = FeatureSpec.parse("""
            {"fields": [{"name": "item", "source": "item_id"}, {"name": "user", "source": "user_id"}],
             "wide": {"fields": ["item", "user"], "crosses": [["item", "user"]]},
             "deep": {"fields": ["item", "user"], "embedding_dim": 4, "hidden": [8]},
             "training": {"batch_size": 16}}""");

    private final Random rnd = new Random(7);
    private long time;

    private void train(WideDeepModel m, int batches) {
        FeatureExtractor fx = new FeatureExtractor(SPEC);
        float[] p = new float[16];
        for (int b = 0; b < batches; b++) {
            ExampleBatch batch = fx.newBatch(16);
            for (int r = 0; r < 16; r++) {
                ClickEvent e = ClickEvent.newBuilder().setEventId("e").setEventType(EventType.IMPRESSION)
                        .setImpressionId("e").setUserId("u" + rnd.nextInt(5_000)).setItemId("i" + rnd.nextInt(500))
                        .setEventTime(time += 10).setContext(new HashMap<>()).setNumeric(new HashMap<>())
                        .setLabel(rnd.nextInt(4) == 0 ? 1 : 0).build();
                fx.extract(e, null, e.getLabel(), batch);
            }
            m.trainBatch(batch, p);
        }
    }

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir.resolve("model-log"))) {
            return s.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void chainsRestoreBitForBitCompactAndArePruned(@TempDir Path dir) throws Exception {
        String job = "0123456789abcdef0123456789abcdef";
        WideDeepModel m = WideDeepModel.create(SPEC);
        train(m, 50);
        try (ModelCheckpointLog log = new ModelCheckpointLog(dir.toUri().toString(), job, DataType.FLOAT)) {
            log.startFresh();
            byte[] manifest = log.checkpoint(m, 1);
            long baseBytes = log.lastBytes();
            assertEquals(1, log.chainLength(), "the first checkpoint writes the base");
            long firstIncrement = 0;
            boolean compacted = false;
            for (long id = 2; id <= 40; id++) {
                train(m, 8);
                manifest = log.checkpoint(m, id);
                if (id == 2) firstIncrement = log.lastBytes();
                log.completed(id - 1); // the checkpoint before completes while this one is pending
                if (log.chainLength() < id) compacted = true;
                if (id % 10 == 0) {
                    try (ModelCheckpointLog reader = new ModelCheckpointLog(dir.toUri().toString(), "other", DataType.FLOAT)) {
                        assertArrayEquals(ModelCodec.encodeFull(m, true), ModelCodec.encodeFull(reader.restore(manifest), true),
                                "checkpoint " + id + ": the manifest's chain is the model");
                    }
                }
                Thread.sleep(20); // room for the background compaction
            }
            assertTrue(firstIncrement < baseBytes / 3, "an increment (" + firstIncrement + " bytes) costs what changed, "
                    + "not the model (" + baseBytes + ")");
            assertTrue(compacted, "the increments outgrew the base and were folded into a new one");
            log.completed(40);
            List<String> left = files(dir);
            assertTrue(left.size() <= log.chainLength() + 3, "only the retained chains' files are left: " + left);
            assertFalse(left.contains(String.format("base-%s-%012d", job, 1)), "the first base was folded and deleted");
        }
    }

    @Test
    void aRestoredJobContinuesTheChainAndRemovesWhatTheKilledRunWroteAfterIt(@TempDir Path dir) throws Exception {
        String first = "11111111111111111111111111111111", second = "22222222222222222222222222222222";
        WideDeepModel m = WideDeepModel.create(SPEC);
        train(m, 30);
        byte[] restoredFrom;
        try (ModelCheckpointLog log = new ModelCheckpointLog(dir.toUri().toString(), first, DataType.FLOAT)) {
            log.startFresh();
            log.checkpoint(m, 1);
            log.awaitWrite();
            // an older base of the same lineage that the run had folded into base 1 but not yet pruned
            Path base = Files.walk(dir.resolve("model-log")).filter(f -> f.getFileName().toString().startsWith("base-")).findFirst().orElseThrow();
            Files.copy(base, base.resolveSibling(String.format("base-%s-%012d", first, 0)));
            train(m, 5);
            restoredFrom = log.checkpoint(m, 2);
            log.completed(2);
            train(m, 5);
            log.checkpoint(m, 3); // never completes: the run is killed
        }
        try (ModelCheckpointLog log = new ModelCheckpointLog(dir.toUri().toString(), second, DataType.FLOAT)) {
            WideDeepModel restored = log.restore(restoredFrom);
            train(restored, 5);
            log.checkpoint(restored, 3);
            log.completed(3);
            List<String> left = files(dir);
            assertFalse(left.contains(String.format("inc-%s-%012d", first, 3)), "the killed run's last increment: " + left);
            assertFalse(left.contains(String.format("base-%s-%012d", first, 0)), "the base the killed run had folded: " + left);
            assertTrue(left.contains(String.format("base-%s-%012d", first, 1)), "the base the new chain still needs");
            try (ModelCheckpointLog reader = new ModelCheckpointLog(dir.toUri().toString(), "x", DataType.FLOAT)) {
                byte[] manifest = log.checkpoint(restored, 4);
                assertArrayEquals(ModelCodec.encodeFull(restored, true), ModelCodec.encodeFull(reader.restore(manifest), true));
            }
        }
    }

    @Test
    void aCheckpointWhoseNewestFileWasNeverWrittenRestoresFromItsManifest(@TempDir Path dir) throws Exception {
        String job = "33333333333333333333333333333333";
        WideDeepModel m = WideDeepModel.create(SPEC);
        train(m, 30);
        byte[] manifest;
        try (ModelCheckpointLog log = new ModelCheckpointLog(dir.toUri().toString(), job, DataType.FLOAT)) {
            log.startFresh();
            log.checkpoint(m, 1);
            train(m, 5);
            manifest = log.checkpoint(m, 2);
            log.completed(1);
        }
        byte[] expected = ModelCodec.encodeFull(m, true);
        Path newest = Files.walk(dir.resolve("model-log")).filter(f -> f.getFileName().toString().startsWith("inc-"))
                .findFirst().orElseThrow();
        Files.write(newest, Arrays.copyOf(Files.readAllBytes(newest), 100)); // the run died while writing it
        try (ModelCheckpointLog log = new ModelCheckpointLog(dir.toUri().toString(), "44444444444444444444444444444444",
                DataType.FLOAT)) {
            WideDeepModel restored = log.restore(manifest);
            assertArrayEquals(expected, ModelCodec.encodeFull(restored, true), "the manifest's copy of the newest file");
            train(restored, 5);
            byte[] next = log.checkpoint(restored, 3); // names the rewritten file as a file
            log.awaitWrite();
            try (ModelCheckpointLog reader = new ModelCheckpointLog(dir.toUri().toString(), "x", DataType.FLOAT)) {
                assertArrayEquals(ModelCodec.encodeFull(restored, true), ModelCodec.encodeFull(reader.restore(next), true));
            }
        }
    }
}
