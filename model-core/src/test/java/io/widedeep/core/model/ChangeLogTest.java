package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The change log: slots in order whatever order they changed in, removals unflag them, a clear starts afresh. */
class ChangeLogTest {
    @Test
    void changedSlotsComeInSlotOrderWithoutTheRemovedOnes() {
        ChangeLog log = new ChangeLog();
        for (int s : new int[] {130, 7, 3, 64, 7, 0, 200}) log.markChanged(s);
        assertArrayEquals(new int[] {0, 3, 7, 64, 130, 200}, log.changedInSlotOrder());
        log.markRemoved(7, 77L);
        log.markRemoved(64, 640L);
        log.markRemoved(500, 5000L); // never flagged: only its key is recorded
        assertArrayEquals(new int[] {0, 3, 130, 200}, log.changedInSlotOrder());
        assertEquals(3, log.removed().size());
        log.markChanged(64); // a freed slot reused
        assertArrayEquals(new int[] {0, 3, 64, 130, 200}, log.changedInSlotOrder());
        log.clear();
        assertArrayEquals(new int[0], log.changedInSlotOrder());
        assertEquals(0, log.removed().size());
        log.markChanged(7);
        assertArrayEquals(new int[] {7}, log.changedInSlotOrder());
    }
}
