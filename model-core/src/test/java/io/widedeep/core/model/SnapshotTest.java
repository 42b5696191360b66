package io.widedeep.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import io.widedeep.core.features.ExampleBatch;
import io.widedeep.core.spec.FeatureSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;

class SnapshotTest {
    private final FeatureSpec spec = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"l1\": 0.5", "\"l1\": 0.05"));

    private static void train(WideDeepModel m, int batches, long seed) {
        for (int i = 0; i < batches; i++) {
            m.trainBatch(TestData.batch(m.spec(), 16, seed + i), null);
        }
    }

    private static float[] predict(WideDeepModel m, ExampleBatch b) {
        float[] out = new float[b.size()];
        m.predict(b, m.newScratch(b.capacity()), out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"adagrad", "adam", "adamw", "rmsprop", "adagrad+dropout", "adam+cross", "adagrad+plainwide", "adagrad+gates", "adam+layernorm", "adagrad+fm"})
    void saveLoadGivesBitIdenticalPredictionsAndTraining(String variant) throws Exception {
        String optimizer = variant.replaceAll("\\+.*", "");
        String json = TestData.SMALL_SPEC.replace("\"type\": \"adagrad\"", "\"type\": \"" + optimizer + "\"");
        if (variant.endsWith("+dropout")) {
            json = json.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"dropout\": 0.2"); // masks follow the restored step
        }
        if (variant.endsWith("+cross")) {
            json = json.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"interaction\": \"cross\"");
        }
        if (variant.endsWith("+gates")) {
            json = json.replace("\"wide\": {", "\"wide\": {\"hash_bits\": 20, \"field_gates\": true, \"gate_warmup\": 0, ");
        }
        if (variant.endsWith("+plainwide")) { // the defaults before unknown values and gates were on
            json = json.replace("\"wide\": {", "\"wide\": {\"unknown_values\": false, \"field_gates\": false, ");
        }
        if (variant.endsWith("+fm")) { // one embedding size: the FM term and its gate by default
            json = json.replace("\"embedding_dims\": {\"item\": 3}, ", "");
        }
        if (variant.endsWith("+layernorm")) {
            json = json.replace("\"hidden\": [8, 5]", "\"hidden\": [8, 5], \"normalization\": \"layer\"");
        }
        FeatureSpec spec = FeatureSpec.parse(json);
        assertEquals(variant.endsWith("+fm"), spec.interactionGate());
        assertEquals(!variant.endsWith("+plainwide"), spec.wideUnknownValues());
        assertEquals(!variant.endsWith("+plainwide"), spec.fieldGates());
        assertEquals(optimizer, spec.deepOptimizer().type().name().toLowerCase());
        WideDeepModel a = WideDeepModel.create(spec);
        train(a, 30, 1);
        byte[] snap = ModelCodec.encodeFull(a, true);
        WideDeepModel b = ModelCodec.decodeFull(snap);
        assertTrue(b.trainable());
        assertArrayEquals(snap, ModelCodec.encodeFull(b, true), "re-encoding a loaded model gives the same bytes");

        ExampleBatch probe = TestData.batch(spec, 16, 999);
        float[] pa = predict(a, probe);
        float[] pb = predict(b, probe);
        for (int i = 0; i < pa.length; i++) {
            assertEquals(Float.floatToIntBits(pa[i]), Float.floatToIntBits(pb[i]), "prediction " + i);
        }

        train(a, 20, 500);
        train(b, 20, 500);
        assertArrayEquals(ModelCodec.encodeFull(a, true), ModelCodec.encodeFull(b, true),
                "same further training gives a bit-identical model");
        assertEquals(50 * 16, b.trainedExamples());
    }

    /** The periodic serving snapshot is encoded from a copy on another thread while the model trains on. */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "gates+unknown", "float64", "expiry"})
    void aServingCopyEncodesAsTheModelDidAndSharesNothingWithIt(String variant) throws Exception {
        String json = TestData.SMALL_SPEC;
        if (variant.equals("gates+unknown")) {
            json = json.replace("\"wide\": {", "\"wide\": {\"hash_bits\": 20, \"field_gates\": true, \"gate_warmup\": 0, \"unknown_values\": true, ");
        }
        FeatureSpec spec = FeatureSpec.parse(json);
        WideDeepModel m = WideDeepModel.create(spec, variant.equals("float64") ? DataType.DOUBLE : DataType.FLOAT);
        train(m, 30, 1);
        if (variant.equals("expiry")) {
            // free slots in the layout: the copy keeps the holes and the free list
            m.wide.index.removeKey(m.wide.index.key(3));
            m.embeddings[0].remove(m.embeddings[0].index.key(1));
        }
        byte[] before = ModelCodec.encodeFull(m, false);
        WideDeepModel copy = m.servingCopy();
        assertArrayEquals(before, ModelCodec.encodeFull(copy, false), "the copy encodes as the model did");
        train(m, 20, 700);
        assertFalse(java.util.Arrays.equals(before, ModelCodec.encodeFull(m, false)), "the model trained on");
        assertArrayEquals(before, ModelCodec.encodeFull(copy, false), "training the model on leaves the copy as it was");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void weightsOnlySnapshotAndDeltasRebuildTheTrainersWeights(boolean gated) throws Exception {
        FeatureSpec spec = gated ? FeatureSpec.parse(this.spec.json().replace("\"wide\":{",
                "\"wide\":{\"hash_bits\":20,\"field_gates\":true,\"gate_warmup\":0,\"unknown_values\":true,"))
                : FeatureSpec.parse(this.spec.json().replace("\"wide\":{", "\"wide\":{\"field_gates\":false,\"unknown_values\":false,"));
        assertEquals(gated, spec.fieldGates());
        WideDeepModel trainer = WideDeepModel.create(spec);
        train(trainer, 5, 1);
        WideDeepModel reader = ModelCodec.decodeFull(ModelCodec.encodeFull(trainer, false));
        ModelCodec.clearChanges(trainer);
        assertEquals(ModelCodec.weightsDigest(trainer), ModelCodec.weightsDigest(reader));
        for (int round = 0; round < 10; round++) {
            train(trainer, 3, 100 + round * 3);
            byte[] delta = ModelCodec.encodeDelta(trainer);
            ModelCodec.clearChanges(trainer);
            assertNotEquals(ModelCodec.weightsDigest(trainer), ModelCodec.weightsDigest(reader));
            ModelCodec.applyDelta(reader, delta);
            assertEquals(ModelCodec.weightsDigest(trainer), ModelCodec.weightsDigest(reader), "after delta " + round);
        }
        ExampleBatch probe = TestData.batch(spec, 16, 4242);
        float[] pt = predict(trainer, probe);
        float[] pr = predict(reader, probe);
        for (int i = 0; i < pt.length; i++) {
            assertEquals(Float.floatToIntBits(pt[i]), Float.floatToIntBits(pr[i]));
        }
        assertThrows(IllegalStateException.class, () -> reader.trainBatch(probe, null));
    }

    @Test
    void deltasWithoutTheDenseWeightsLeaveTheReadersMlpAsItWasUntilOneCarriesThem() throws Exception {
        WideDeepModel trainer = WideDeepModel.create(spec);
        train(trainer, 5, 1);
        WideDeepModel reader = ModelCodec.decodeFull(ModelCodec.encodeFull(trainer, false));
        ModelCodec.clearChanges(trainer);
        float[] mlpBefore = reader.mlp.params.toFloatVector();
        train(trainer, 3, 300);
        byte[] sparseOnly = ModelCodec.encodeDelta(trainer, false);
        byte[] withDense = ModelCodec.encodeDelta(trainer, true);
        ModelCodec.clearChanges(trainer);
        assertEquals(1 + 4 + trainer.denseParams() * 4, withDense.length - sparseOnly.length, "the MLP (type, length, floats) is what is left out");
        assertTrue(ModelCodec.verify(withDense).withDense() && !ModelCodec.verify(sparseOnly).withDense());

        ModelCodec.applyDelta(reader, sparseOnly);
        assertArrayEquals(mlpBefore, reader.mlp.params.toFloatVector(), "the reader keeps the MLP it had");
        assertNotEquals(ModelCodec.weightsDigest(trainer), ModelCodec.weightsDigest(reader));
        train(trainer, 2, 400);
        ModelCodec.applyDelta(reader, ModelCodec.encodeDelta(trainer, true)); // every row the trainer changed since, and the MLP
        ModelCodec.clearChanges(trainer);
        assertEquals(ModelCodec.weightsDigest(trainer), ModelCodec.weightsDigest(reader), "one dense delta brings it level");

        byte[] badFlags = sparseOnly.clone();
        badFlags[13] = 4;
        assertThrows(ModelFormatException.class, () -> ModelCodec.verify(fixChecksum(badFlags)), "an unknown flag is refused");
    }

    /** The payload with its trailer's CRC-32C recomputed, so that only the change under test is wrong. */
    private static byte[] fixChecksum(byte[] b) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, b.length - 12);
        java.nio.ByteBuffer.wrap(b).putInt(b.length - 12, (int) crc.getValue());
        return b;
    }

    @Test
    void deltaIsProportionalToWhatChanged() throws Exception {
        WideDeepModel trainer = WideDeepModel.create(spec);
        train(trainer, 40, 1);
        ModelCodec.clearChanges(trainer);
        int full = ModelCodec.encodeFull(trainer, false).length;
        train(trainer, 1, 7777);
        int delta = ModelCodec.encodeDelta(trainer).length;
        int dense = (int) trainer.denseParams() * 4;
        assertTrue(delta - dense < (full - dense) / 2, "delta sparse part " + (delta - dense) + " vs full " + (full - dense));
    }

    @Test
    void truncatedOrCorruptedSnapshotsAreRefused() {
        WideDeepModel a = WideDeepModel.create(spec);
        train(a, 3, 1);
        byte[] snap = ModelCodec.encodeFull(a, true);
        for (int len : new int[] {0, 10, snap.length / 2, snap.length - 1}) {
            byte[] cut = Arrays.copyOf(snap, len);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelCodec.decodeFull(cut));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
        for (int pos : new int[] {3, 40, snap.length / 2, snap.length - 13}) {
            byte[] bad = snap.clone();
            bad[pos] ^= 0x10;
            assertThrows(ModelFormatException.class, () -> ModelCodec.decodeFull(bad), "flip at " + pos);
        }
        byte[] delta = ModelCodec.encodeDelta(a);
        assertThrows(ModelFormatException.class, () -> ModelCodec.decodeFull(delta));
        WideDeepModel other = WideDeepModel.forServing(FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"seed\": 3", "\"seed\": 4")));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelCodec.applyDelta(other, delta));
        assertTrue(e.getMessage().contains("another model spec"), e.getMessage());
    }
}
