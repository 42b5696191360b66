package io.widedeep.core;

import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.UserHistory;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/** Small specs and event batches for unit tests. */
public final class TestData {
    private TestData() {}

    public static final String SMALL_SPEC = """
            {
              "fields": [
                {"name": "user", "source": "user_id"},
                {"name": "item", "source": "item_id"},
                {"name": "device", "source": "context.device"},
                {"name": "price", "source": "numeric.price", "type": "numeric", "transform": "log1p"},
                {"name": "recent", "source": "history.recent_items"}
              ],
              "wide": {"fields": ["user", "item", "device"], "crosses": [["user", "item"], ["recent", "item"]]},
              "deep": {"fields": ["user", "item", "recent"], "numeric": ["price"], "embedding_dim": 4,
                       "embedding_dims": {"item": 3}, "hidden": [8, 5]},
              "ftrl": {"alpha": 0.1, "beta": 1.0, "l1": 0.5, "l2": 0.1},
              "deep_optimizer": {"type": "adagrad", "learning_rate": 0.05, "clip_norm": 0},
              "training": {"batch_size": 16, "seed": 3},
              "history": {"max_items": 4}
            }""";

    public static ClickEvent event(Random rnd, int users, int items, long time) {
        Map<String, String> ctx = new HashMap<>();
        ctx.put("device", rnd.nextBoolean() ? "ios" : "android");
        Map<String, Double> num = new HashMap<>();
        num.put("price", rnd.nextDouble() * 100);
        return ClickEvent.newBuilder().setEventId("e" + time).setEventType(EventType.IMPRESSION)
                .setImpressionId("i" + time).setUserId("u" + rnd.nextInt(users)).setItemId("it" + rnd.nextInt(items))
                .setEventTime(time).setContext(new HashMap<>(ctx)).setNumeric(num).setLabel(rnd.nextInt(2)).build();
    }

    /** A batch of random rows with random histories (some users with several recent items). */
    public static ExampleBatch batch(FeatureSpec spec, int rows, long seed) {
        Random rnd = new Random(seed);
        FeatureExtractor fx = new FeatureExtractor(spec);
        ExampleBatch b = fx.newBatch(rows);
        for (int r = 0; r < rows; r++) {
            ClickEvent e = event(rnd, 5, 7, 1000 + r);
            UserHistory h = new UserHistory(spec.historyMaxItems());
            int clicks = rnd.nextInt(4);
            for (int c = 0; c < clicks; c++) {
                h.recordClick(FeatureExtractor.itemHash("it" + rnd.nextInt(7)), 0, false, 10);
            }
            fx.extract(e, h, e.getLabel(), b);
        }
        return b;
    }
}
