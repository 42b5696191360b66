package io.widedeep.core.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class UserHistoryTest {
    private static long[] items(UserHistory h) {
        long[] out = new long[h.itemCount()];
        for (int i = 0; i < out.length; i++) out[i] = h.item(i);
        return out;
    }

    @Test
    void recentItemsAreDistinctMostRecentFirstAndBounded() {
        UserHistory h = new UserHistory(3);
        for (long item : new long[] {1, 2, 3, 2, 4}) h.recordClick(item, 10 * item, item % 2 == 0, item);
        assertArrayEquals(new long[] {4, 2, 3}, items(h), "2 moved to the front, 1 fell off");
        assertEquals(2, h.categoryCount());
        assertEquals(40, h.category(0));
        assertEquals(20, h.category(1));
        assertEquals(5, h.clicks());
        assertEquals(4, h.lastEventTime());
    }

    @Test
    void bytesKeepTheirLayoutAndRoundTrip() {
        UserHistory h = new UserHistory(4);
        h.recordImpression(7);
        h.recordClick(11, 21, true, 9);
        h.recordClick(12, 0, false, 8);
        // The layout keyed state holds (RocksDB) and older checkpoints were written in.
        ByteBuffer expected = ByteBuffer.allocate(4 + 4 + 16 + 4 + 8 + 24);
        expected.putInt(4).putInt(2).putLong(12).putLong(11).putInt(1).putLong(21).putLong(1).putLong(2).putLong(9);
        assertArrayEquals(expected.array(), h.toBytes());
        assertArrayEquals(h.toBytes(), UserHistory.fromBytes(h.toBytes(), 4).toBytes());
    }

    @Test
    void aSmallerBoundKeepsTheMostRecent() {
        UserHistory h = new UserHistory(5);
        for (long item = 1; item <= 5; item++) h.recordClick(item, item, true, item);
        UserHistory smaller = UserHistory.fromBytes(h.toBytes(), 2);
        assertArrayEquals(new long[] {5, 4}, items(smaller));
        assertEquals(5, smaller.clicks());
    }

    @Test
    void aZeroBoundKeepsNoItems() {
        UserHistory h = new UserHistory(0);
        h.recordClick(1, 1, true, 1);
        assertEquals(0, h.itemCount());
        assertEquals(1, h.clicks());
    }
}
