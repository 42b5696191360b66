package io.widedeep.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.widedeep.datasets.sim.ClickSimulator;
import io.widedeep.flink.local.RetainedCheckpoints;
import io.widedeep.serving.registry.ModelRegistry;
import java.nio.file.Path;
import io.widedeep.core.features.UserHistory;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's wiring end to end on a short stream: simulated clicks into a real broker, the job on a
 * MiniCluster (RocksDB, checkpoints), updates to the server, and a recommendation answered over HTTP
 * by a model that learned from them. A second start ten seconds after the first stopped, with two
 * trainers, serves every user's history as the first left it (read back from the serving-features
 * topic, before any new event) and resumes from the checkpoint the single trainer left.
 */
class DemoWiringIT {
    /** Every simulated user's history as the server holds it (hex of its bytes), for those that have one. */
    private static Map<String, String> histories(Demo demo) {
        ModelRegistry.Live l = demo.server().registry().peek();
        Map<String, String> out = new TreeMap<>();
        for (int u = 0; u < 300; u++) {
            UserHistory h = demo.server().features().history(ClickSimulator.userId(u), l.model());
            if (h != null) out.put(ClickSimulator.userId(u), HexFormat.of().formatHex(h.toBytes()));
        }
        return out;
    }

    /** Until the job has published nothing new for three seconds (the producer stopped, its events drained). */
    private static void awaitQuiet(Demo demo) throws InterruptedException {
        long last = -1;
        long since = System.currentTimeMillis();
        long deadline = since + 60_000;
        while (System.currentTimeMillis() < deadline) {
            long w = demo.server().features().newestWrittenAt();
            if (w != last) {
                last = w;
                since = System.currentTimeMillis();
            } else if (System.currentTimeMillis() - since > 3000 && demo.server().features().status().lag() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the serving features never settled");
    }

    @Test
    void clicksFlowThroughBrokerJobAndServerToAnHttpAnswer(@TempDir Path dir) throws Exception {
        Demo.Options o = new Demo.Options(dir, 0, 0, 400, null, null, null, 0, 300, 50, 1, 1);
        long trained;
        long firstEpoch;
        Map<String, String> histories;
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
            demo.stopProducer();
            awaitQuiet(demo);
            histories = histories(demo);
        }
        assertTrue(histories.size() > 100, "users with a history: " + histories.size());
        assertTrue(RetainedCheckpoints.latest(dir.resolve("checkpoints").toString()).isPresent(), "checkpoint retained on stop");
        Thread.sleep(10_000); // an operator's pause before the restart
        Demo.Options twoTrainers = new Demo.Options(dir, 0, 0, 400, null, null, null, 0, 300, 50, 1, 2);
        try (Demo again = Demo.startWithoutProducer(twoTrainers)) {
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline
                    && (again.server().registry().peek() == null || !again.server().features().loaded())) {
                Thread.sleep(100);
            }
            Map<String, String> served = histories(again);
            assertEquals(histories, served, "the restarted demo serves every user's history as it was before the restart");
            again.startProducer();
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
