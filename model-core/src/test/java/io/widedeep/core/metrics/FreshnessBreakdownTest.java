package io.widedeep.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.metrics.FreshnessBreakdown.Stage;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FreshnessBreakdownTest {
    @Test
    void bucketsCoverEveryValueOnceAndAreAtMostASixteenthWide() {
        for (long v = 0; v < 1 << 20; v++) {
            int b = LatencyHistogram.bucket(v);
            assertTrue(LatencyHistogram.lowerBound(b) <= v && v <= LatencyHistogram.upperBound(b), "value " + v);
            long width = LatencyHistogram.upperBound(b) - LatencyHistogram.lowerBound(b) + 1;
            assertTrue(v < 32 ? width == 1 : width * 16 <= LatencyHistogram.lowerBound(b), "bucket of " + v);
        }
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucket(Long.MAX_VALUE));
        assertEquals(0, LatencyHistogram.bucket(-5), "a clock that ran backwards counts as no delay");
    }

    @Test
    void quantilesAreUpperBoundsWithinASixteenthOfTheExactOnes() {
        Random r = new Random(7);
        long[] values = new long[10_000];
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(r.nextGaussian() + 5); // log-normal around 150 ms
            h.record(values[i]);
        }
        Arrays.sort(values);
        for (double q : new double[] {0.5, 0.9, 0.99, 1.0}) {
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            long estimate = h.quantile(q);
            assertTrue(estimate >= exact && estimate <= exact + Math.max(1, exact / 16), q + ": " + estimate + " vs " + exact);
        }
        assertEquals(values[values.length - 1], h.max());
        assertEquals(Arrays.stream(values).sum(), h.sum());
    }

    @Test
    void aBreakdownRoundTripsAndAServerAddsItsShare() {
        FreshnessBreakdown job = new FreshnessBreakdown();
        for (int i = 0; i < 100; i++) {
            job.stage(Stage.SOURCE).record(i % 7);
            job.stage(Stage.EVENT_TO_UPDATE).record(100 + i); // 100..199
        }
        byte[] bytes = job.encode();
        FreshnessBreakdown carried = FreshnessBreakdown.decode(bytes);
        assertEquals(job.table(), carried.table());
        assertEquals(0, FreshnessBreakdown.decode(new byte[0]).examples(), "an update from a job that measures nothing");

        FreshnessBreakdown served = new FreshnessBreakdown();
        served.addServed(carried, 10_000, 10_030, 10_050); // cut at 10 000, read 30 ms later, serving 20 ms after that
        assertEquals(100, served.stage(Stage.KAFKA).count());
        assertEquals(30, served.stage(Stage.KAFKA).quantile(0.99));
        assertEquals(20, served.stage(Stage.APPLY).max());
        LatencyHistogram total = served.stage(Stage.EVENT_TO_APPLIED);
        assertEquals(100, total.count());
        assertEquals(199 + 50, total.max());
        long p50 = total.quantile(0.5);
        assertTrue(p50 >= 149 + 50 && p50 <= (149 + 50) * 17 / 16, "p50 " + p50);
        assertEquals(carried.stage(Stage.EVENT_TO_UPDATE).sum() + 100 * 50, total.sum());
    }

    @Test
    void damagedBreakdownsAreRefusedWithAReason() {
        FreshnessBreakdown f = new FreshnessBreakdown();
        f.stage(Stage.JOIN).record(3);
        byte[] good = f.encode();
        assertThrows(IllegalArgumentException.class, () -> FreshnessBreakdown.decode(Arrays.copyOf(good, good.length - 3)));
        byte[] badStage = good.clone();
        badStage[2] = 99;
        assertThrows(IllegalArgumentException.class, () -> FreshnessBreakdown.decode(badStage));
        ByteBuffer b = ByteBuffer.wrap(good.clone());
        b.put(0, (byte) 9);
        assertThrows(IllegalArgumentException.class, () -> FreshnessBreakdown.decode(b.array()));
    }
}
