package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A synthetic model exported to a Hugging Face directory loads back as the same model. */
class ExportRoundTripTest {
    @TempDir Path dir;

    private static final String[] TEXTS = {
        "Hello world", "", " ", "  two  spaces\tand tab\r\n", "Ünïcödé naïve café", "日本語のテキスト", "emoji 😀🚀👍🏽",
        "specials <s> and </s> and <pad> inline", "<s", "a<0x41>b", "\u00a0nbsp \u200b zero-width",
    };

    @Test
    void tinyRoundTripsConfigWeightsAndTokenizer() {
        try (Model src = ModelLoader.load("synthetic:tiny")) {
            ModelExporter.saveHuggingFace(src, dir, DType.F32);
            try (Model back = ModelLoader.load(dir.toString())) {
                assertEquals(src.config(), back.config());
                for (TensorSpec s : LlamaTensors.expected(src.config())) {
                    assertArrayEquals(src.weights().tensor(s.name()).toFloats(), back.weights().tensor(s.name(), s.shape()).toFloats(), s.name());
                }
                assertTrue(back.tokenizer() instanceof HfTokenizer);
                assertEquals(src.tokenizer().bosTokenId(), back.tokenizer().bosTokenId());
                assertArrayEquals(src.tokenizer().eosTokenIds(), back.tokenizer().eosTokenIds());
                for (String t : TEXTS) {
                    assertArrayEquals(src.tokenizer().encode(t, true), back.tokenizer().encode(t, true), t);
                    assertArrayEquals(src.tokenizer().encode(t, false), back.tokenizer().encode(t, false), t);
                    int[] ids = back.tokenizer().encode(t, true);
                    assertEquals(src.tokenizer().decode(ids), back.tokenizer().decode(ids), t);
                    if (!t.contains("<s>") && !t.contains("</s>") && !t.contains("<pad>")) assertEquals(t, back.tokenizer().decode(ids), t);
                }
                // what a random model emits: bytes, specials and word ids mixed
                SplittableRandom r = new SplittableRandom(5);
                for (int trial = 0; trial < 50; trial++) {
                    int[] ids = r.ints(12, 0, src.config().vocabSize()).toArray();
                    ids = java.util.Arrays.stream(ids).map(id -> id >= 3 && id < 259 ? 'a' + 3 + id % 26 : id).toArray();
                    assertEquals(src.tokenizer().decode(ids), back.tokenizer().decode(ids), java.util.Arrays.toString(ids));
                }
            }
        }
    }

    @Test
    void bf16ExportRoundsOnceAndLlama3ScalingSurvives() {
        ModelConfig c = new ModelConfig("llama", 300, 32, 48, 1, 4, 2, 8, 1024, 1e-5, 500000.0,
                new RopeScaling("llama3", 8.0, 1.0, 4.0, 512), true, false, DType.F32);
        Model src = new Model("test", c, new SyntheticWeights("test", c, 9), new ByteTokenizer());
        ModelExporter.saveHuggingFace(src, dir, DType.BF16);
        try (Model back = ModelLoader.load(dir.toString())) {
            assertEquals(DType.BF16, back.config().dtype());
            assertEquals(c.ropeScaling(), back.config().ropeScaling());
            assertEquals(500000.0, back.config().ropeTheta());
            assertFalse(back.weights().contains(LlamaTensors.LM_HEAD));
            float[] orig = src.weights().tensor(LlamaTensors.mlpWeight(0, "up")).toFloats();
            Tensor t = back.weights().tensor(LlamaTensors.mlpWeight(0, "up"), 48, 32);
            assertEquals(DType.BF16, t.dtype());
            float[] got = t.toFloats();
            for (int i = 0; i < orig.length; i++) assertEquals(Half.bf16ToFloat(Half.floatToBf16(orig[i])), got[i]);
        }
    }
}
