package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

class SyntheticModelsTest {

    @Test
    void tinyHasTheDocumentedShape() {
        try (Model m = ModelLoader.load("synthetic:tiny")) {
            ModelConfig c = m.config();
            assertEquals(512, c.vocabSize());
            assertEquals(64, c.hiddenSize());
            assertEquals(2, c.numLayers());
            assertEquals(4, c.numHeads());
            assertEquals(2, c.numKvHeads());
            assertEquals(16, c.headDim());
            assertEquals(172, c.intermediateSize());
            assertEquals(4096, c.maxPositionEmbeddings());
            assertEquals(DType.F32, c.dtype());
            assertTrue(m.tokenizer() instanceof ByteTokenizer);
            for (TensorSpec s : LlamaTensors.expected(c)) {
                Tensor t = m.weights().tensor(s.name(), s.shape());
                assertEquals(s.numel() * 4, t.data().capacity(), s.name());
            }
        }
    }

    @Test
    void largerArchitecturesMatchTheirNamesakes() {
        ModelConfig b1 = SyntheticModels.config("llama-1b");
        assertEquals(2048, b1.hiddenSize());
        assertEquals(16, b1.numLayers());
        assertEquals(4, b1.groupSize());
        assertTrue(b1.tieWordEmbeddings());
        assertEquals("llama3", b1.ropeScaling().type());
        assertEquals(32.0, b1.ropeScaling().factor());
        assertEquals(DType.BF16, b1.dtype());
        ModelConfig b8 = SyntheticModels.config("llama-8b");
        assertEquals(128, b8.headDim());
        assertEquals(14336, b8.intermediateSize());
        assertEquals(8.0, b8.ropeScaling().factor());
        assertFalse(b8.tieWordEmbeddings());
        ModelConfig cl = SyntheticModels.config("codellama-13b");
        assertEquals(1, cl.groupSize());
        assertEquals(32016, cl.vocabSize());
        assertEquals(1e6, cl.ropeTheta());
        ModelConfig bench = SyntheticModels.config("cpu-bench");
        assertEquals(512, bench.hiddenSize());
        assertEquals(32768, bench.maxPositionEmbeddings());
    }

    @Test
    void weightsAreDeterministicPerNameAndDifferAcrossNames() {
        ModelConfig c = SyntheticModels.config("tiny");
        try (SyntheticWeights a = new SyntheticWeights("a", c, 42); SyntheticWeights b = new SyntheticWeights("b", c, 42)) {
            String q0 = LlamaTensors.attnWeight(0, "q");
            // order of requests must not matter
            b.tensor(LlamaTensors.EMBED_TOKENS);
            float[] x = a.tensor(q0).toFloats();
            float[] y = b.tensor(q0).toFloats();
            assertArrayEquals(x, y);
            float[] k0 = a.tensor(LlamaTensors.attnWeight(0, "k")).toFloats();
            assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(x, k0.length), k0));
        }
        try (SyntheticWeights a = new SyntheticWeights("a", c, 1); SyntheticWeights b = new SyntheticWeights("b", c, 2)) {
            String name = LlamaTensors.mlpWeight(1, "down");
            assertFalse(java.util.Arrays.equals(a.tensor(name).toFloats(), b.tensor(name).toFloats()));
        }
    }

    @Test
    void scalesFollowFanInAndNormsSitNearOne() {
        ModelConfig c = SyntheticModels.config("tiny");
        try (SyntheticWeights w = new SyntheticWeights("t", c, 7)) {
            float[] down = w.tensor(LlamaTensors.mlpWeight(0, "down")).toFloats(); // fan_in 172
            double var = 0, mean = 0;
            for (float v : down) mean += v;
            mean /= down.length;
            for (float v : down) var += (v - mean) * (v - mean);
            var /= down.length;
            assertEquals(1.0 / 172, var, 0.1 / 172);
            assertEquals(0.0, mean, 0.01);
            float bound = (float) Math.sqrt(3.0 / 172);
            for (float v : down) assertTrue(Math.abs(v) <= bound);
            for (float v : w.tensor(LlamaTensors.inputNorm(1)).toFloats()) assertTrue(v >= 0.9f && v <= 1.1f);
        }
    }

    @Test
    void bf16ModelsGenerateBf16() {
        ModelConfig c = SyntheticModels.config("llama-1b");
        try (SyntheticWeights w = new SyntheticWeights("s", c, 3)) {
            Tensor norm = w.tensor(LlamaTensors.FINAL_NORM, 2048);
            assertEquals(DType.BF16, norm.dtype());
            assertEquals(2048 * 2, norm.data().capacity());
            for (float v : norm.toFloats()) assertTrue(v > 0.85f && v < 1.15f);
        }
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        ModelException e = assertThrows(ModelException.class, () -> ModelLoader.load("synthetic:gpt5"));
        assertTrue(e.getMessage().contains("synthetic:gpt5"), e.getMessage());
        assertTrue(e.getMessage().contains("tiny, cpu-bench, llama-1b, llama-8b, codellama-13b"), e.getMessage());
    }

    @Test
    void wrongShapeRequestIsAnError() {
        try (Model m = ModelLoader.load("synthetic:tiny")) {
            ModelException e = assertThrows(ModelException.class, () -> m.weights().tensor(LlamaTensors.EMBED_TOKENS, 64, 512));
            assertEquals("synthetic:tiny: tensor model.embed_tokens.weight has shape [512, 64], expected [64, 512]", e.getMessage());
            assertThrows(ModelException.class, () -> m.weights().tensor("lm_head.bias"));
        }
    }
}
