package io.widedeep.core.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.widedeep.schemas.AvroSerde;
import io.widedeep.schemas.ServingFeatures;
import io.widedeep.schemas.UserFeatures;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ServingFeatureRecordsTest {
    @Test
    void aUserHistoryCrossesTheTopicBitForBit() throws Exception {
        Random rnd = new Random(3);
        AvroSerde<ServingFeatures> serde = AvroSerde.servingFeatures();
        for (int trial = 0; trial < 200; trial++) {
            int max = rnd.nextInt(25);
            UserHistory h = new UserHistory(max);
            for (int i = rnd.nextInt(60); i > 0; i--) {
                h.recordImpression(rnd.nextLong(1L << 42));
                if (rnd.nextBoolean()) h.recordClick(rnd.nextLong(), rnd.nextLong(), rnd.nextBoolean(), rnd.nextLong(1L << 42));
            }
            ServingFeatures f = serde.decode(serde.encode(ServingFeatureRecords.user("u", h, 99, 1000, 500)));
            UserFeatures u = (UserFeatures) f.getEntity();
            assertArrayEquals(h.toBytes(), ServingFeatureRecords.history(u, max).toBytes());
            assertEquals(h.sequence(), u.getSequence());
            assertEquals(1500, f.getExpiresAt());
            assertEquals(99, f.getSpecFingerprint());
        }
        assertEquals(Long.MAX_VALUE, ServingFeatureRecords.user("u", new UserHistory(1), 1, 10, Long.MAX_VALUE).getExpiresAt());
    }

    @Test
    void popularityIsTheLogarithmOfTheDecayedClickSum() {
        long half = 3_600_000;
        long[] clicks = {0, 1_000, 7_200_000, 7_200_000, 20_000_000};
        double log2 = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (long c : clicks) {
            log2 = ServingFeatureRecords.addClick(log2, c, half);
            sum += Math.pow(2, c / (double) half);
        }
        assertEquals(Math.log(sum) / Math.log(2), log2, 1e-12);
        // far from the landmark the sum itself would overflow; its logarithm does not
        double late = ServingFeatureRecords.addClick(ServingFeatureRecords.addClick(Double.NEGATIVE_INFINITY,
                1_800_000_000_000L, half), 1_800_000_000_000L, half);
        assertEquals(1_800_000_000_000L / (double) half + 1, late, 1e-9);
    }
}
