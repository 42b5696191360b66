package io.widedeep.core.model;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import java.util.Arrays;

/** Which slots of a sparse table changed, and which keys left it, since the last published delta. */
final class ChangeLog {
    private boolean[] flagged = new boolean[1024];
    private final IntArrayList changed = new IntArrayList();
    private final LongArrayList removed = new LongArrayList();

    void markChanged(int slot) {
        if (slot >= flagged.length) {
            flagged = Arrays.copyOf(flagged, Math.max(slot + 1, flagged.length * 2));
        }
        if (!flagged[slot]) {
            flagged[slot] = true;
            changed.add(slot);
        }
    }

    void markRemoved(int slot, long key) {
        if (slot < flagged.length && flagged[slot]) {
            flagged[slot] = false;
            changed.rem(slot);
        }
        removed.add(key);
    }

    IntArrayList changed() {
        return changed;
    }

    LongArrayList removed() {
        return removed;
    }

    void clear() {
        for (int i = 0, n = changed.size(); i < n; i++) {
            flagged[changed.getInt(i)] = false;
        }
        changed.clear();
        removed.clear();
    }
}
