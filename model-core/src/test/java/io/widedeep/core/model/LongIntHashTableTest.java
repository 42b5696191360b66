package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongIntHashTableTest {
    @Test
    void agreesWithHashMapUnderRandomPutsAndRemoves() {
        LongIntHashTable t = new LongIntHashTable(4);
        Map<Long, Integer> ref = new HashMap<>();
        Random rnd = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            // a small key range forces collisions, long probe runs and backward shifts
            long key = rnd.nextInt(3000) - 5 + (rnd.nextInt(4) == 0 ? (long) rnd.nextInt(3) << 40 : 0);
            int op = rnd.nextInt(3);
            if (op == 0) {
                t.put(key, i);
                ref.put(key, i);
            } else if (op == 1) {
                t.remove(key);
                ref.remove(key);
            } else {
                assertEquals(ref.getOrDefault(key, -1).intValue(), t.get(key), "key " + key + " at op " + i);
            }
        }
        assertEquals(ref.size(), t.size());
        for (Map.Entry<Long, Integer> e : ref.entrySet()) {
            assertEquals(e.getValue().intValue(), t.get(e.getKey()));
        }
    }
}
