package io.widedeep.flink.functions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.FeatureRow;
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
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new StepAssigner(4, 100, 1_000)),
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
            h.setProcessingTime(0);
            h.processWatermark(new Watermark(500));
            for (long i = 1; i <= 9; i++) h.processElement(row(i), 0);
            List<TrainingStep> out = h.extractOutputValues();
            assertEquals(2, out.size(), "two full steps of four");
            assertArrayEquals(new long[] {1, 2, 3, 4}, ids(out.get(0)));
            assertArrayEquals(new long[] {5, 6, 7, 8}, ids(out.get(1)));
            assertEquals(500, out.get(0).watermark, "stamped with the watermark the trainers expire rows against");
            assertFalse(out.get(0).publish || out.get(0).end);

            h.setProcessingTime(99);
            assertEquals(2, h.extractOutputValues().size(), "row 9 has not waited 100 ms yet");
            h.setProcessingTime(100);
            out = h.extractOutputValues();
            assertEquals(3, out.size());
            assertArrayEquals(new long[] {9}, ids(out.get(2)), "a partial step once its first row waited 100 ms");

            h.setProcessingTime(950);
            h.processElement(row(10), 0); // its wait would end after the publish tick
            h.setProcessingTime(1_000);
            out = h.extractOutputValues();
            TrainingStep tick = out.get(out.size() - 1);
            assertTrue(tick.publish, "the publish tick");
            assertArrayEquals(new long[] {10}, ids(tick), "carries what is pending, so a publish is never behind");
            h.setProcessingTime(1_999);
            assertEquals(out.size(), h.extractOutputValues().size());
            h.setProcessingTime(2_000);
            TrainingStep empty = h.extractOutputValues().get(out.size());
            assertTrue(empty.publish);
            assertEquals(0, empty.rows.length, "a tick with nothing pending still publishes");
            List<Long> numbers = h.extractOutputValues().stream().map(s -> s.step).toList();
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), numbers, "steps are numbered in order");
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
            assertTrue(out.get(0).end && out.get(0).publish);
            assertEquals(7 * 7, out.get(0).rows[2].wideKeys[0], "rows survive the state round trip whole");
        }
    }
}
