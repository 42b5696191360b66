package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.widedeep.core.TestData;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.spec.FeatureSpec;
import io.widedeep.core.features.FeatureExtractor;
import io.widedeep.core.features.Hashing;
import io.widedeep.core.features.UserHistory;
import io.widedeep.schemas.ClickEvent;
import io.widedeep.schemas.EventType;
import java.util.Random;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The scoring path (sgemm on NIO views) computes what the training forward (ND4J ops) computes. */
class InferenceForwardTest {

    @ParameterizedTest
    @ValueSource(strings = {"\"activation\":\"relu\"", "\"activation\":\"leaky_relu\"", "\"activation\":\"gelu\"",
            "\"activation\":\"selu\"", "\"interaction\":\"cross\",\"cross_layers\":2", "\"normalization\":\"layer\"",
            "\"normalization\":\"layer\",\"activation\":\"gelu\""})
    void predictMatchesTheTrainingForwardPass(String deepOption) throws Exception {
        FeatureSpec spec = FeatureSpec.parse(FeatureSpec.builtIn("criteo").json()
                .replace("\"hidden\":[256,128,64]", "\"hidden\":[256,128,64]," + deepOption));
        assertEquals(deepOption.contains("cross") ? 2 : 0, spec.crossLayers());
        WideDeepModel m = WideDeepModel.create(spec);
        for (int i = 0; i < 20; i++) m.trainBatch(TestData.batch(spec, 256, i), null);
        ExampleBatch batch = TestData.batch(spec, 256, 99);
        float[] scored = new float[256];
        m.predict(batch, m.newScratch(256), scored);
        float[] pv = new float[256];
        m.forwardBackward(batch, pv); // scores with the training forward, before any update
        double maxDiff = 0;
        // scoring mixes the model with the counter; the training forward is the model's own
        for (int i = 0; i < 256; i++) maxDiff = Math.max(maxDiff, Math.abs(scored[i] - m.mixture.mix(pv[i], m.baseRate.ctr())));
        assertEquals(0, maxDiff, 1e-6, "largest difference " + maxDiff);
        // padding rows of a larger scratch stay harmless, and a served copy scores the same
        WideDeepModel served = ModelCodec.decodeFull(ModelCodec.encodeFull(m, false));
        float[] again = new float[1024];
        served.predict(batch, served.newScratch(1024), again);
        for (int i = 0; i < 256; i++) assertEquals(scored[i], again[i], 1e-6f);
    }

    @Test
    void aRequestsCandidatesSharingTheUsersFieldsScoreAsIfEachWereGatheredAlone() {
        // scoring copies a field's embedding from the row above when its values are the same
        FeatureSpec spec = FeatureSpec.builtIn("sim");
        WideDeepModel m = WideDeepModel.create(spec);
        Random rnd = new Random(3);
        OnlineLearner learner = new OnlineLearner(m, 0);
        UserHistory history = new UserHistory(spec.historyMaxItems());
        for (int i = 0; i < 20; i++) history.recordClick(Hashing.string("item-" + i), Hashing.string("c" + i % 4), true, i);
        for (int i = 0; i < 5000; i++) learner.add(impression(rnd, 1000L * i), history, i % 4 == 0 ? 1 : 0);
        FeatureExtractor x = new FeatureExtractor(spec);
        ExampleBatch request = x.newBatch(128);
        for (int k = 0; k < 100; k++) {
            Map<String, String> ctx = Map.of("age_group", "a1", "region", "r2", "category", "c" + k / 10, "brand", "b" + k % 7);
            x.extract(k < 50 ? "user-7" : "user-8", "item-" + k % 50, ctx, Map.of("price", 3.0 + k / 20), 5_000_000L, history, 0f, request);
        }
        float[] scored = new float[128], alone = new float[1];
        m.predict(request, m.newScratch(128), scored);
        ExampleBatch one = x.newBatch(1);
        WideDeepModel.Scratch s = m.newScratch(1);
        for (int i = 0; i < 100; i++) {
            one.clear();
            one.add(request.row(i));
            m.predict(one, s, alone); // a batch of one row gathers every field itself
            assertEquals(alone[0], scored[i], 1e-6f, "row " + i);
        }
    }

    /** An impression of one of 50 items to one of 200 users, with the "sim" spec's context. */
    private static ClickEvent impression(Random rnd, long time) {
        int user = rnd.nextInt(200), item = rnd.nextInt(50);
        Map<String, String> ctx = Map.of("age_group", "a" + user % 5, "region", "r" + user % 7,
                "category", "c" + item / 10, "brand", "b" + item % 7);
        String id = "e" + time;
        return ClickEvent.newBuilder().setEventId(id).setEventType(EventType.IMPRESSION).setImpressionId(id)
                .setUserId("user-" + user).setItemId("item-" + item).setEventTime(time).setContext(ctx)
                .setNumeric(Map.of("price", 1.0 + item % 9)).setLabel(null).build();
    }
}
