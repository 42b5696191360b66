package io.widedeep.core.model;

/** Feature specs that tests in several modules train on. */
public final class TestSpecs {
    private TestSpecs() {}

    /** Four categorical fields, one cross, a small MLP: a planted region x item effect and a low-rank interaction. */
    public static final String PLANTED = """
            {
              "fields": [
                {"name": "region", "source": "context.region"},
                {"name": "item", "source": "item_id"},
                {"name": "uattr", "source": "context.uattr"},
                {"name": "iattr", "source": "context.iattr"}
              ],
              "wide": {"fields": ["region", "item", "uattr", "iattr"], "crosses": [["region", "item"]],
                       "hash_bits": 0, "unknown_values": false},
              "deep": {"fields": ["region", "item", "uattr", "iattr"], "embedding_dim": 8, "hidden": [32, 16],
                       "interaction": "none"},
              "ftrl": {"alpha": 0.1, "beta": 1.0, "l1": 0.5, "l2": 1.0},
              "deep_optimizer": {"type": "adagrad", "learning_rate": 0.03},
              "training": {"batch_size": 64, "seed": 5}
            }""";

    /** The planted stream's fields in a spec that writes no tuning option: what a new user writes. */
    public static final String PLANTED_PLAIN = """
            {
              "fields": [
                {"name": "region", "source": "context.region"},
                {"name": "item", "source": "item_id"},
                {"name": "uattr", "source": "context.uattr"},
                {"name": "iattr", "source": "context.iattr"}
              ],
              "wide": {"fields": ["region", "item", "uattr", "iattr"], "crosses": [["region", "item"]]},
              "deep": {"fields": ["region", "item", "uattr", "iattr"], "embedding_dim": 8, "hidden": [32, 16]},
              "training": {"batch_size": 64}
            }""";

    /** Every option that changes how keys are looked up and learned: admission, unknown values, gates, FM, expiry. */
    public static final String RICH = """
            {
              "fields": [
                {"name": "region", "source": "context.region"},
                {"name": "item", "source": "item_id"},
                {"name": "uattr", "source": "context.uattr"},
                {"name": "iattr", "source": "context.iattr"}
              ],
              "wide": {"fields": ["region", "item", "uattr", "iattr"], "crosses": [["region", "item"]],
                       "unknown_values": true, "field_gates": true, "hash_bits": 20, "expire_after_ms": 2000},
              "deep": {"fields": ["region", "item", "uattr", "iattr"], "embedding_dim": 4, "hidden": [16],
                       "min_count": 3, "interaction": "fm", "expire_after_ms": 2000},
              "training": {"batch_size": 50, "seed": 9}
            }""";
}
