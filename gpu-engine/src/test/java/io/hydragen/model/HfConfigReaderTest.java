package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfConfigReaderTest {
    @TempDir Path dir;

    private static final String BASE = "\"vocab_size\": 1000, \"hidden_size\": 64, \"intermediate_size\": 128,"
            + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4";

    private ModelConfig read(String json) {
        Checkpoints.writeString(dir.resolve("config.json"), json);
        return HfConfigReader.read(dir);
    }

    private String error(String json) {
        return assertThrows(ModelException.class, () -> read(json)).getMessage();
    }

    @Test
    void classicLayoutWithLlama3Scaling() {
        ModelConfig c = read("{\"model_type\": \"llama\", " + BASE + ", \"num_key_value_heads\": 2, \"rope_theta\": 500000.0,"
                + " \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192}, \"torch_dtype\": \"bfloat16\", \"max_position_embeddings\": 131072,"
                + " \"rms_norm_eps\": 1e-05, \"tie_word_embeddings\": true}");
        assertEquals(new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(DType.BF16, c.dtype());
        assertEquals(2, c.numKvHeads());
        assertEquals(16, c.headDim()); // hidden / heads
        assertEquals(131072, c.maxPositionEmbeddings());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
    }

    @Test
    void transformers5LayoutWithRopeParameters() {
        ModelConfig c = read("{\"model_type\": \"llama\", " + BASE + ", \"head_dim\": 32, \"dtype\": \"float16\","
                + " \"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 250000.0, \"factor\": 32.0, \"low_freq_factor\": 1.0,"
                + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}");
        assertEquals(250000.0, c.ropeTheta());
        assertEquals(new RopeScaling("llama3", 32.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertEquals(DType.F16, c.dtype());
        assertEquals(32, c.headDim());
        assertEquals(4, c.numKvHeads()); // defaults to heads
        assertEquals(1, c.groupSize());
        assertFalse(c.tieWordEmbeddings());
        ModelConfig plain = read("{\"model_type\": \"llama\", " + BASE + ", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}}");
        assertTrue(plain.ropeScaling().isDefault());
        assertEquals(10000.0, plain.ropeTheta());
        assertEquals(DType.F32, plain.dtype());
    }

    @Test
    void linearScalingAndMqa() {
        ModelConfig c = read("{\"model_type\": \"llama\", " + BASE + ", \"num_key_value_heads\": 1,"
                + " \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}}");
        assertEquals("linear", c.ropeScaling().type());
        assertEquals(4.0, c.ropeScaling().factor());
        assertEquals(4, c.groupSize());
        assertEquals(16, c.kvDim());
    }

    @Test
    void unsupportedRopeTypeIsNamed() {
        String msg = error("{\"model_type\": \"llama\", " + BASE + ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}");
        assertTrue(msg.startsWith(dir.resolve("config.json").toString()), msg);
        assertTrue(msg.contains("unsupported rope scaling type 'yarn'"), msg);
        msg = error("{\"model_type\": \"llama\", " + BASE + ", \"rope_parameters\": {\"rope_type\": \"dynamic\", \"rope_theta\": 1.0, \"factor\": 2.0}}");
        assertTrue(msg.contains("'dynamic'"), msg);
    }

    @Test
    void unsupportedModelType() {
        assertEquals(dir.resolve("config.json") + ": unsupported model_type 'gpt2' (supported: llama, mistral, qwen2)",
                error("{\"model_type\": \"gpt2\", " + BASE + "}"));
    }

    @Test
    void qwen2HasQkvBiasButNoOutputBias() {
        ModelConfig c = read("{\"model_type\": \"qwen2\", " + BASE + ", \"num_key_value_heads\": 2, \"sliding_window\": 16,"
                + " \"use_sliding_window\": false, \"max_position_embeddings\": 4096}");
        assertTrue(c.attentionBias());
        assertEquals(4096, c.maxPositionEmbeddings()); // window unused
        var names = LlamaTensors.expected(c).stream().map(TensorSpec::name).toList();
        assertTrue(names.contains("model.layers.1.self_attn.k_proj.bias"));
        assertFalse(names.contains("model.layers.1.self_attn.o_proj.bias"));
        TensorSpec kb = LlamaTensors.expected(c).stream().filter(s -> s.name().equals("model.layers.0.self_attn.k_proj.bias")).findFirst().orElseThrow();
        assertEquals(32, kb.shape()[0]);
    }

    @Test
    void llamaAttentionBiasCoversOutputProjection() {
        ModelConfig c = read("{\"model_type\": \"llama\", " + BASE + ", \"attention_bias\": true}");
        assertTrue(c.attentionBias());
        assertTrue(LlamaTensors.expected(c).stream().anyMatch(s -> s.name().equals("model.layers.0.self_attn.o_proj.bias")));
    }

    @Test
    void mistralSlidingWindowBecomesTheContextLimit() {
        assertEquals(4096, read("{\"model_type\": \"mistral\", " + BASE + ", \"sliding_window\": 4096, \"max_position_embeddings\": 32768}").maxPositionEmbeddings());
        assertEquals(32768, read("{\"model_type\": \"mistral\", " + BASE + ", \"sliding_window\": null, \"max_position_embeddings\": 32768}").maxPositionEmbeddings());
    }

    @Test
    void badValuesNameFileAndField() {
        String msg = error("{\"model_type\": \"llama\", \"vocab_size\": 10, \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2}");
        assertEquals(dir.resolve("config.json") + ": missing hidden_size", msg);
        msg = error("{\"model_type\": \"llama\", " + BASE + ", \"num_key_value_heads\": 3}");
        assertTrue(msg.startsWith(dir.resolve("config.json") + ": num_attention_heads (4) is not a multiple"), msg);
        msg = error("{\"model_type\": \"llama\", " + BASE + ", \"hidden_act\": \"gelu\"}");
        assertTrue(msg.contains("unsupported hidden_act 'gelu'"), msg);
        msg = error("[1, 2]");
        assertTrue(msg.contains("config.json: file is not a JSON object"), msg);
        msg = error("{\"model_type\": ");
        assertTrue(msg.contains("config.json: file is not valid JSON"), msg);
        assertEquals(1, msg.lines().count());
        Path missing = dir.resolve("nope");
        assertEquals(missing.resolve("config.json") + ": missing file",
                assertThrows(ModelException.class, () -> HfConfigReader.read(missing)).getMessage());
    }
}
