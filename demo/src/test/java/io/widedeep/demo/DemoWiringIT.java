package io.widedeep.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.widedeep.datasets.sim.ClickSimulator;
import io.widedeep.flink.local.RetainedCheckpoints;
import io.widedeep.serving.registry.ModelRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's wiring end to end on a short stream: simulated clicks into a real broker, the job on a
 * MiniCluster (RocksDB, checkpoints), updates to the server, and a recommendation answered over HTTP
 * by a model that learned from them. A second start, with two trainers, resumes from the checkpoint
 * the single trainer left.
 */
class DemoWiringIT {
    @Test
    void clicksFlowThroughBrokerJobAndServerToAnHttpAnswer(@TempDir Path dir) throws Exception {
        Demo.Options o = new Demo.Options(dir, 0, 0, 400, null, null, null, 0, 300, 50, 1, 1);
        long trained;
        long firstEpoch;
        try (Demo demo = Demo.start(o)) {
            long deadline = System.currentTimeMillis() + 120_000;
            ModelRegistry.Live l = null;
            while (System.currentTimeMillis() < deadline) {
                l = demo.server().registry().peek();
                if (l != null && l.model().trainedExamples() > 500 && l.version() > 3) break;
                Thread.sleep(200);
            }
            assertTrue(l != null && l.model().trainedExamples() > 500, "the served model learned from the stream");
            JsonNode r = demo.recommend(ClickSimulator.userId(1), demo.simulator().userContext(1),
                    List.of("item-1", "item-2", "item-3", "item-4"), 2);
            assertTrue(r.get("model_version").asLong() > 0);
            assertEquals(2, r.get("items").size());
            assertTrue(demo.produced() > 1000);
            trained = l.model().trainedExamples();
            firstEpoch = l.epoch();
            Thread.sleep(8000); // let a checkpoint (every 5 s) complete after this point
        }
        assertTrue(RetainedCheckpoints.latest(dir.resolve("checkpoints").toString()).isPresent(), "checkpoint retained on stop");
        Demo.Options twoTrainers = new Demo.Options(dir, 0, 0, 400, null, null, null, 0, 300, 50, 1, 2);
        try (Demo again = Demo.start(twoTrainers)) {
            long deadline = System.currentTimeMillis() + 120_000;
            long restored = 0;
            while (System.currentTimeMillis() < deadline && restored == 0) {
                ModelRegistry.Live l = again.server().registry().peek();
                // the restored job opens a new epoch with a full snapshot of the checkpointed model
                if (l != null && l.epoch() > firstEpoch && l.model().trainedExamples() >= trained) {
                    restored = l.model().trainedExamples();
                }
                Thread.sleep(200);
            }
            assertTrue(restored > 0, "second run starts from the checkpointed model, not from scratch");
            long more = restored + 500;
            while (System.currentTimeMillis() < deadline && again.server().registry().peek().model().trainedExamples() < more) {
                Thread.sleep(200);
            }
            assertTrue(again.server().registry().peek().model().trainedExamples() >= more, "two trainers go on learning");
        }
    }
}
