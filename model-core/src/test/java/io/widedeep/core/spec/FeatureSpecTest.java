package io.widedeep.core.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.widedeep.core.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class FeatureSpecTest {

    @Test
    void builtInSpecsParse() {
        for (String name : new String[] {"criteo", "obd", "avazu", "movielens", "sim"}) {
            FeatureSpec s = FeatureSpec.builtIn(name);
            assertTrue(s.hasWide() && s.hasDeep(), name);
            // a job runs for weeks: memory must follow the live vocabulary, not everything ever seen
            assertTrue(s.hashBits() > 0 && s.hashBits() <= 24, name + ": wide coordinates bounded by hashing");
            assertTrue(s.embeddingExpireAfterMs() > 0, name + ": unused embedding rows expire");
        }
        FeatureSpec criteo = FeatureSpec.builtIn("criteo");
        assertEquals(26, criteo.deepFields().length);
        assertEquals(13, criteo.numericFields().length);
        assertEquals(26 * 16 + 13, criteo.deepInputWidth());
        assertEquals(256, criteo.batchSize());
        assertEquals(3, criteo.hidden().length);
        assertTrue(criteo.wideUnknownValues(), "criteo: long-tailed fields fall back to an unknown-value weight");
        FeatureSpec plain = FeatureSpec.parse(TestData.SMALL_SPEC);
        assertTrue(plain.wideUnknownValues() && plain.fieldGates(), "on unless turned off");
        assertEquals(24, plain.hashBits());
        assertEquals(0.1, FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"l1\": 0.5, ", "")).ftrl().l1());
        assertEquals(FeatureSpec.Interaction.NONE, plain.interaction(), "embeddings of two sizes: no FM term");
        FeatureSpec oneSize = FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"embedding_dims\": {\"item\": 3}, ", ""));
        assertEquals(FeatureSpec.Interaction.FM, oneSize.interaction(), "one size: the FM term by default");
        assertEquals(0.01, FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"learning_rate\": 0.05, ", "")).deepOptimizer().learningRate());
        assertTrue(!FeatureSpec.parse(TestData.SMALL_SPEC.replace("\"wide\": {", "\"wide\": {\"hash_bits\": 0, ")).fieldGates(),
                "exact keys have no room for a gate's group: gates off");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"hidden\": [8, 5]|\"hidden\": [8, -5]|deep.hidden[1]",
        "\"alpha\": 0.1|\"alfa\": 0.1|ftrl.alfa",
        "\"crosses\": [[\"user\", \"item\"]|\"crosses\": [[\"user\", \"nope\"]|wide.crosses[0][1]",
        "\"source\": \"numeric.price\"|\"source\": \"context.price\"|fields[3].source",
        "\"type\": \"adagrad\"|\"type\": \"sgd\"|deep_optimizer.type",
        "\"batch_size\": 16|\"batch_size\": 0|training.batch_size",
        "\"numeric\": [\"price\"]|\"numeric\": [\"user\"]|deep.numeric[0]",
        "\"embedding_dims\": {\"item\": 3}|\"embedding_dims\": {\"itme\": 3}|deep.embedding_dims.itme",
        "\"name\": \"device\"|\"name\": \"user\"|fields[2].name",
        "\"wide\": {|\"wide\": {\"unknown_values\": \"yes\", |wide.unknown_values",
        "\"wide\": {|\"wide\": {\"hash_bits\": 0, \"field_gates\": true, |wide.field_gates",
        "\"wide\": {|\"wide\": {\"field_gates\": false, \"gate_warmup\": 100, |wide.gate_warmup",
        "\"hidden\": [8, 5]|\"hidden\": [8, 5], \"normalization\": \"batch\"|deep.normalization",
    })
    void invalidSpecNamesTheOffendingKey(String from, String to, String key) {
        String bad = TestData.SMALL_SPEC.replace(from, to);
        assertTrue(!bad.equals(TestData.SMALL_SPEC), "replacement applied: " + from);
        SpecException e = assertThrows(SpecException.class, () -> FeatureSpec.parse(bad));
        assertEquals(key, e.key(), e.getMessage());
    }

    @Test
    void brokenJsonIsReported() {
        SpecException e = assertThrows(SpecException.class, () -> FeatureSpec.parse("{\"fields\": ["));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void variantsDropOnePart() {
        FeatureSpec s = FeatureSpec.parse(TestData.SMALL_SPEC);
        assertTrue(!s.variant("wide").hasDeep() && s.variant("wide").hasWide());
        assertTrue(!s.variant("deep").hasWide() && s.variant("deep").hasDeep());
        assertThrows(SpecException.class, () -> s.variant("linear"));
    }
}
