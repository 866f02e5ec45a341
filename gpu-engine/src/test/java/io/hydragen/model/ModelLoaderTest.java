package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole directories: layouts, architectures, and errors at load time rather than mid-generation. */
class ModelLoaderTest {
    @TempDir Path dir;

    private String loadError(Path d) {
        String msg = assertThrows(ModelException.class, () -> ModelLoader.load(d.toString()).close()).getMessage();
        assertEquals(1, msg.lines().count(), msg);
        return msg;
    }

    /** Rewrites model.safetensors with the given tensors left out. */
    private void dropTensors(Path d, ModelConfig c, String... names) {
        List<String> drop = List.of(names);
        Model m = Checkpoints.model(c);
        List<SafeTensorsWriter.Entry> kept = LlamaTensors.expected(c).stream().filter(s -> !drop.contains(s.name()))
                .map(s -> SafeTensorsWriter.Entry.of(m.weights().tensor(s.name()))).collect(Collectors.toList());
        SafeTensorsWriter.write(d.resolve("model.safetensors"), kept);
    }

    @Test
    void singleFileGqaSeparateHead() {
        ModelConfig c = Checkpoints.config("llama", 4, 2, false, false);
        Checkpoints.write(dir, c, DType.F32);
        try (Model m = ModelLoader.load(dir.toString())) {
            assertEquals(c, m.config());
            assertTrue(m.weights().contains(LlamaTensors.LM_HEAD));
            assertEquals(LlamaTensors.LM_HEAD, LlamaTensors.lmHead(m.config()));
        }
        dropTensors(dir, c, LlamaTensors.LM_HEAD);
        assertEquals(dir.resolve("model.safetensors") + ": tensor lm_head.weight missing", loadError(dir));
    }

    @Test
    void tiedEmbeddingsNeedNoHead() {
        ModelConfig c = Checkpoints.config("llama", 4, 1, true, false); // MQA
        Checkpoints.write(dir, c, DType.BF16);
        try (Model m = ModelLoader.load(dir.toString())) {
            assertTrue(m.config().tieWordEmbeddings());
            assertEquals(4, m.config().groupSize());
            assertFalse(m.weights().contains(LlamaTensors.LM_HEAD));
            assertEquals(LlamaTensors.EMBED_TOKENS, LlamaTensors.lmHead(m.config()));
            assertEquals(DType.BF16, m.weights().tensor(LlamaTensors.EMBED_TOKENS, 300, 32).dtype());
            assertArrayEquals(new int[] {8, 32}, m.weights().tensor(LlamaTensors.attnWeight(1, "k")).shape());
        }
    }

    @Test
    void qwen2BiasTensorsAreRequired() {
        ModelConfig c = Checkpoints.config("qwen2", 4, 2, false, true);
        Checkpoints.write(dir, c, DType.F16);
        try (Model m = ModelLoader.load(dir.toString())) {
            assertTrue(m.config().attentionBias());
            assertEquals(16, m.weights().tensor(LlamaTensors.attnBias(0, "v"), 16).numel());
        }
        dropTensors(dir, c, LlamaTensors.attnBias(1, "q"));
        assertEquals(dir.resolve("model.safetensors") + ": tensor model.layers.1.self_attn.q_proj.bias missing", loadError(dir));
    }

    @Test
    void wrongShapeFailsAtLoad() {
        ModelConfig c = Checkpoints.config("llama", 4, 2, false, false);
        Checkpoints.write(dir, c, DType.F32);
        // a checkpoint that claims MHA in its config but holds GQA-sized k/v projections
        ObjectNode cfg = (ObjectNode) JsonFiles.readObject(dir.resolve("config.json"));
        cfg.put("num_key_value_heads", 4);
        Checkpoints.writeString(dir.resolve("config.json"), cfg.toString());
        assertEquals(dir.resolve("model.safetensors") + ": tensor model.layers.0.self_attn.k_proj.weight has shape [16, 32], expected [32, 32]",
                loadError(dir));
    }

    @Test
    void transformers5ConfigLoads() {
        ModelConfig c = Checkpoints.config("llama", 4, 2, true, false);
        Checkpoints.write(dir, c, DType.F32);
        ObjectNode cfg = (ObjectNode) JsonFiles.readObject(dir.resolve("config.json"));
        cfg.remove("rope_theta");
        cfg.remove("rope_scaling");
        cfg.remove("torch_dtype");
        cfg.put("dtype", "float32");
        cfg.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 10000.0);
        Checkpoints.writeString(dir.resolve("config.json"), cfg.toString());
        try (Model m = ModelLoader.load(dir.toString())) {
            assertEquals(c, m.config());
        }
    }

    @Test
    void shardedCheckpointLoadsAndIsValidated() throws Exception {
        ModelConfig c = Checkpoints.config("llama", 4, 2, false, false);
        Model src = Checkpoints.model(c);
        ModelExporter.saveHuggingFace(src, dir, DType.F32, 40_000);
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
        long shards;
        try (var s = Files.list(dir)) {
            shards = s.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
        }
        assertTrue(shards >= 3, "only " + shards + " shards");
        try (Model m = ModelLoader.load(dir.toString())) {
            for (TensorSpec s : LlamaTensors.expected(c)) {
                assertArrayEquals(src.weights().tensor(s.name()).toFloats(), m.weights().tensor(s.name(), s.shape()).toFloats(), s.name());
            }
        }
        // a tensor the index does not list
        Path index = dir.resolve("model.safetensors.index.json");
        String original = Checkpoints.readString(index);
        ObjectNode idx = (ObjectNode) JsonFiles.readObject(index);
        ((ObjectNode) idx.get("weight_map")).remove(LlamaTensors.FINAL_NORM);
        Checkpoints.writeString(index, idx.toString());
        assertEquals(index + ": tensor model.norm.weight missing", loadError(dir));
        // the index points at the wrong shard
        idx = (ObjectNode) JsonFiles.readObject(index);
        ((ObjectNode) idx.get("weight_map")).put(LlamaTensors.FINAL_NORM, "model-00001-of-0000" + shards + ".safetensors");
        Checkpoints.writeString(index, idx.toString());
        String msg = loadError(dir);
        assertTrue(msg.startsWith(dir.resolve("model-00001-of-0000" + shards + ".safetensors") + ": tensor model.norm.weight missing"), msg);
        // a shard that is gone
        Checkpoints.writeString(index, original);
        Path last = dir.resolve(String.format("model-%05d-of-%05d.safetensors", shards, shards));
        Files.delete(last);
        assertTrue(loadError(dir).startsWith(last + ": missing file"));
    }

    @Test
    void missingPiecesAreNamed() throws Exception {
        Path none = dir.resolve("absent");
        assertTrue(loadError(none).startsWith(none + ": no such model directory"));
        Files.createDirectories(none);
        assertEquals(none.resolve("config.json") + ": missing file", loadError(none));

        ModelConfig c = Checkpoints.config("llama", 4, 2, false, false);
        Checkpoints.write(dir, c, DType.F32);
        // a tokenizer with more ids than the model has embeddings
        ObjectNode tok = (ObjectNode) JsonFiles.readObject(dir.resolve("tokenizer.json"));
        ((ObjectNode) tok.path("model").path("vocab")).put("extra ", 300);
        Checkpoints.writeString(dir.resolve("tokenizer.json"), tok.toString());
        assertEquals(dir.resolve("tokenizer.json") + ": token id 300 is outside the model's vocab_size 300", loadError(dir));
        Files.delete(dir.resolve("tokenizer.json"));
        assertTrue(loadError(dir).startsWith(dir.resolve("tokenizer.json") + ": missing file"));
        Checkpoints.writeString(dir.resolve("tokenizer.json"), "{\"model\": 12}");
        assertTrue(loadError(dir).startsWith(dir.resolve("tokenizer.json") + ": not a loadable tokenizer"));
        Files.delete(dir.resolve("model.safetensors"));
        assertEquals(dir + ": no model.safetensors or model.safetensors.index.json", loadError(dir));
        assertTrue(assertThrows(ModelException.class, () -> ModelLoader.load("")).getMessage().contains("no model given"));
    }

    @Test
    void cannotExportOntoItself() {
        ModelConfig c = Checkpoints.config("llama", 4, 2, false, false);
        Checkpoints.write(dir, c, DType.F32);
        try (Model m = ModelLoader.load(dir.toString())) {
            assertThrows(ModelException.class, () -> ModelExporter.saveHuggingFace(m, dir, DType.F32));
        }
    }
}
