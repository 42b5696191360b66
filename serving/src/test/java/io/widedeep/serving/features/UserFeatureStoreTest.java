package io.widedeep.serving.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.features.UserHistory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserFeatureStoreTest {
    private static final long SPEC = 0x1234L;

    private static UserHistory history(int clicks) {
        UserHistory h = new UserHistory(5);
        for (int i = 0; i < clicks; i++) {
            h.recordImpression(1000 + i);
            h.recordClick(100 + i % 7, 7 + i % 3, i % 2 == 0, 1000 + i);
        }
        return h;
    }

    @Test
    void keepsTheNewestStateOfEachUserBitForBit(@TempDir Path dir) {
        try (UserFeatureStore store = new UserFeatureStore(dir.resolve("s"), 8 << 20)) {
            UserHistory v3 = history(3);
            UserHistory v5 = history(5);
            assertTrue(store.put("u", SPEC, Long.MAX_VALUE, v3.sequence(), v3.toBytes(), 0));
            assertTrue(store.put("u", SPEC, Long.MAX_VALUE, v5.sequence(), v5.toBytes(), 0));
            assertFalse(store.put("u", SPEC, Long.MAX_VALUE, v3.sequence(), v3.toBytes(), 0), "a replayed older state");
            assertArrayEquals(v5.toBytes(), store.history("u", SPEC, 5, 0).toBytes());
            assertEquals(1, store.ignored());
            assertNull(store.history("nobody", SPEC, 5, 0));
        }
    }

    @Test
    void anExpiredHistoryIsAbsentAndGivesWayToAYoungerOneWithALowerSequence(@TempDir Path dir) {
        try (UserFeatureStore store = new UserFeatureStore(dir.resolve("s"), 8 << 20)) {
            UserHistory old = history(6);
            store.put("u", SPEC, 1000, old.sequence(), old.toBytes(), 0);
            assertEquals(6, store.history("u", SPEC, 5, 999).clicks());
            assertNull(store.history("u", SPEC, 5, 1000), "the job forgot the user at 1000");
            UserHistory again = history(1); // the job started the user again
            assertTrue(store.put("u", SPEC, 5000, again.sequence(), again.toBytes(), 1500));
            assertEquals(1, store.history("u", SPEC, 5, 1500).clicks());
            assertFalse(store.put("v", SPEC, 1000, 1, again.toBytes(), 1000), "expired on arrival");
        }
    }

    @Test
    void aHistoryWrittenForAnotherSpecIsNotUsedAndIsCounted(@TempDir Path dir) {
        try (UserFeatureStore store = new UserFeatureStore(dir.resolve("s"), 8 << 20)) {
            UserHistory h = history(2);
            store.put("u", SPEC, Long.MAX_VALUE, h.sequence(), h.toBytes(), 0);
            assertNull(store.history("u", SPEC + 1, 5, 0));
            assertEquals(1, store.specMismatches());
            assertEquals(2, store.history("u", SPEC, 5, 0).clicks());
        }
    }

    @Test
    void startsEmptyAndLeavesNothingBehind(@TempDir Path dir) throws Exception {
        Path d = dir.resolve("s");
        try (UserFeatureStore store = new UserFeatureStore(d, 8 << 20)) {
            for (int i = 0; i < 10_000; i++) store.put("u" + i, SPEC, Long.MAX_VALUE, 1, history(1).toBytes(), 0);
            assertEquals(10_000, store.users());
            assertTrue(store.memoryBytes() > 0);
        }
        try (UserFeatureStore store = new UserFeatureStore(d, 8 << 20)) {
            assertNull(store.history("u1", SPEC, 5, 0), "rebuilt from the topic, not from a previous run's files");
        }
        try (var left = Files.list(d)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void aSweepDeletesExpiredUsersALittleAtATimeAndWrapsRound(@TempDir Path dir) {
        try (UserFeatureStore store = new UserFeatureStore(dir.resolve("s"), 8 << 20)) {
            for (int i = 0; i < 1000; i++) {
                store.put("u" + i, SPEC, i % 2 == 0 ? 5_000 : Long.MAX_VALUE, 1, history(1).toBytes(), 0);
            }
            assertEquals(1000, store.users());
            int deleted = 0;
            for (int call = 0; call < 5; call++) deleted += store.sweep(10_000, 300); // 1,500 looked at: one pass and a half
            assertEquals(500, deleted, "every expired user once");
            assertEquals(500, store.users());
            assertNull(store.history("u0", SPEC, 5, 0), "deleted, not only hidden");
            assertEquals(1, store.history("u1", SPEC, 5, 0).clicks());
            assertEquals(0, store.sweep(10_000, 2000), "nothing left to delete");
        }
    }
}
