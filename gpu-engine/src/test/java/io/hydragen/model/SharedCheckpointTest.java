package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The reference checkpoints of ../shared/models load with the configuration their README describes. */
class SharedCheckpointTest {

    @Test
    void bpeCheckpointLoads() {
        Path dir = SharedModels.require("tiny-llama-bpe");
        try (Model m = ModelLoader.load(dir.toString())) {
            ModelConfig c = m.config();
            assertEquals("llama", c.modelType());
            assertEquals(3, c.numLayers());
            assertEquals(64, c.hiddenSize());
            assertEquals(4, c.numHeads());
            assertEquals(2, c.numKvHeads());
            assertEquals(16, c.headDim());
            assertEquals(176, c.intermediateSize());
            assertEquals(50257, c.vocabSize());
            assertTrue(c.tieWordEmbeddings());
            assertEquals(10000.0, c.ropeTheta());
            assertTrue(c.ropeScaling().isDefault());
            assertEquals(DType.BF16, c.dtype());
            assertEquals(1e-5, c.rmsNormEps());
            assertFalse(m.weights().contains(LlamaTensors.LM_HEAD));
            Tensor embed = m.weights().tensor(LlamaTensors.EMBED_TOKENS, 50257, 64);
            assertEquals(DType.BF16, embed.dtype());
            float[] v = embed.toFloats();
            assertEquals(50257 * 64, v.length);
            for (float x : v) assertTrue(Float.isFinite(x));
            assertEquals(50256, m.tokenizer().bosTokenId());
            assertArrayEquals(new int[] {50256}, m.tokenizer().eosTokenIds());
        }
    }

    @Test
    void sentencePieceCheckpointLoads() {
        Path dir = SharedModels.require("tiny-llama-sp");
        try (Model m = ModelLoader.load(dir.toString())) {
            ModelConfig c = m.config();
            assertEquals(2, c.numLayers());
            assertEquals(96, c.hiddenSize());
            assertEquals(6, c.numHeads());
            assertEquals(2, c.numKvHeads());
            assertEquals(3, c.groupSize());
            assertEquals(16, c.headDim());
            assertFalse(c.tieWordEmbeddings());
            assertEquals(1e-6, c.rmsNormEps());
            assertEquals(DType.F16, c.dtype());
            Tensor head = m.weights().tensor(LlamaTensors.LM_HEAD, 32000, 96);
            assertEquals(DType.F16, head.dtype());
            // norm weights are random in these checkpoints, not all ones
            float[] norm = m.weights().tensor(LlamaTensors.FINAL_NORM, 96).toFloats();
            assertTrue(java.util.stream.IntStream.range(0, norm.length).anyMatch(i -> norm[i] != 1f));
            assertEquals(1, m.tokenizer().bosTokenId());
            assertArrayEquals(new int[] {2}, m.tokenizer().eosTokenIds());
            assertArrayEquals(new int[] {1, 15043, 3186}, m.tokenizer().encode("Hello world", true));
            assertEquals("Hello world", m.tokenizer().decode(new int[] {1, 15043, 3186}));
        }
    }
}
