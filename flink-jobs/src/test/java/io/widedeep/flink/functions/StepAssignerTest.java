package io.widedeep.flink.functions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.FeatureRow;
import io.widedeep.flink.records.PublishPolicy;
import io.widedeep.flink.records.TrainingStep;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The step assigner under Flink's keyed operator harness, with processing and event time in the test's hands. */
class StepAssignerTest {
    private static KeyedOneInputStreamOperatorTestHarness<Integer, FeatureRow, TrainingStep> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new StepAssigner(4, 100, new PublishPolicy(1_000, 10, 0, 1_000, 1024, null, 1))),
                r -> 0, Types.INT);
    }

    private static FeatureRow row(long id) {
        FeatureRow r = new FeatureRow();
        r.eventTime = id;
        r.values = new long[] {id};
        r.fieldEnds = new int[] {1};
        r.numerics = new float[0];
        r.wideKeys = new long[] {id * 7};
        r.label = id % 2;
        return r;
    }

    private static long[] ids(TrainingStep s) {
        return Arrays.stream(s.rows).mapToLong(r -> r.eventTime).toArray();
    }

    @Test
    void fullStepsLeaveAtOnceInArrivalOrderAndAPartialOneAfterItsWait() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(5_000);
            h.processWatermark(new Watermark(500));
            for (long i = 1; i <= 9; i++) h.processElement(row(i), 0);
            List<TrainingStep> out = h.extractOutputValues();
            assertEquals(2, out.size(), "two full steps of four");
            assertArrayEquals(new long[] {1, 2, 3, 4}, ids(out.get(0)));
            assertArrayEquals(new long[] {5, 6, 7, 8}, ids(out.get(1)));
            assertEquals(500, out.get(0).watermark, "stamped with the watermark the trainers expire rows against");
            assertEquals(5_000, out.get(0).cutAt, "stamped with when it was cut");
            assertFalse(out.get(0).end);

            h.setProcessingTime(5_099);
            assertEquals(2, h.extractOutputValues().size(), "row 9 has not waited 100 ms yet");
            h.setProcessingTime(5_100);
            out = h.extractOutputValues();
            assertEquals(3, out.size());
            assertArrayEquals(new long[] {9}, ids(out.get(2)), "a partial step once its first row waited 100 ms");
            List<Long> numbers = out.stream().map(s -> s.step).toList();
            assertEquals(List.of(0L, 1L, 2L), numbers, "steps are numbered in order");
        }
    }

    @Test
    void publishingFollowsTrainingAtMostEveryMinimumInterval() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(5_000);
            for (long i = 1; i <= 8; i++) h.processElement(row(i), 0);
            List<TrainingStep> out = h.extractOutputValues();
            assertTrue(out.get(0).publish, "the first step after a quiet second is published as soon as it is trained");
            assertFalse(out.get(1).publish, "the next one within the minimum interval is not");

            h.setProcessingTime(5_500);
            h.processElement(row(9), 0);
            h.setProcessingTime(5_999);
            assertEquals(3, h.extractOutputValues().size(), "row 9's partial step");
            assertFalse(h.extractOutputValues().get(2).publish);
            h.processElement(row(10), 0); // pending, waiting for its step to fill
            h.setProcessingTime(6_000);
            out = h.extractOutputValues();
            assertEquals(4, out.size());
            TrainingStep tick = out.get(3);
            assertTrue(tick.publish, "trained rows wait at most the interval: a publish-only step carries the mark");
            assertEquals(0, tick.rows.length, "and leaves the unfinished step alone");
            h.setProcessingTime(6_099);
            assertArrayEquals(new long[] {10}, ids(h.extractOutputValues().get(4)));
            assertFalse(h.extractOutputValues().get(4).publish);
            h.setProcessingTime(7_000);
            assertTrue(h.extractOutputValues().get(5).publish);

            h.setProcessingTime(60_000);
            h.processElement(row(11), 0);
            h.setProcessingTime(60_100);
            TrainingStep quiet = h.extractOutputValues().get(6);
            assertArrayEquals(new long[] {11}, ids(quiet));
            assertTrue(quiet.publish, "on a quiet stream every step is published");
            h.setProcessingTime(70_000);
            assertEquals(7, h.extractOutputValues().size(), "nothing trained since: no publish-only step");
        }
    }

    @Test
    void anUpdateAlsoLeavesAtItsMaximumSize() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(5_000);
            for (long i = 1; i <= 16; i++) h.processElement(row(i), 0);
            List<Boolean> published = h.extractOutputValues().stream().map(s -> s.publish).toList();
            // steps of 4 rows, at most 10 per update: the third step since a publish reaches 12
            assertEquals(List.of(true, false, false, true), published);
        }
    }

    @Test
    void pendingRowsAreCheckpointedAndTheEndOfInputFlushesThem() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            for (long i = 1; i <= 6; i++) h.processElement(row(i), 0);
            snapshot = h.snapshot(1, 0);
            assertEquals(1, h.extractOutputValues().size());
        }
        try (var restored = harness()) {
            restored.initializeState(snapshot);
            restored.open();
            restored.setProcessingTime(0);
            restored.processElement(row(7), 0);
            restored.processWatermark(new Watermark(Long.MAX_VALUE)); // a bounded input ended
            List<TrainingStep> out = restored.extractOutputValues();
            assertEquals(1, out.size());
            assertArrayEquals(new long[] {5, 6, 7}, ids(out.get(0)), "the checkpointed rows, then the new one");
            assertTrue(out.get(0).end && out.get(0).publish, "the end is always published");
            assertEquals(7 * 7, out.get(0).rows[2].wideKeys[0], "rows survive the state round trip whole");
        }
    }
}
