package io.hydragen.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.ByteTokenizerExport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves a model as a self-contained Hugging Face directory (config.json in the classic layout,
 * generation_config.json, model.safetensors or shards with an index, tokenizer.json + tokenizer_config.json) that
 * {@link ModelLoader} and transformers can load. A synthetic model's {@link ByteTokenizer} is written as an
 * equivalent {@code tokenizer.json}.
 */
public final class ModelExporter {
    private ModelExporter() {}

    /** Writes everything into one {@code model.safetensors}. */
    public static void saveHuggingFace(Model model, Path dir, DType dtype) {
        saveHuggingFace(model, dir, dtype, Long.MAX_VALUE);
    }

    /**
     * @param maxShardBytes when the weights exceed this, they are split into {@code model-0000i-of-0000n.safetensors}
     *                      files of at most this size each (a single tensor larger than it gets a shard of its own)
     *                      listed by {@code model.safetensors.index.json}
     */
    public static void saveHuggingFace(Model model, Path dir, DType dtype, long maxShardBytes) {
        if (!model.source().startsWith(ModelLoader.SYNTHETIC_PREFIX) && Files.exists(dir)
                && sameDir(Path.of(model.source()), dir)) {
            // Rewriting model.safetensors while it is memory-mapped would corrupt the very weights being copied.
            throw new ModelException(dir + ": cannot export a model into the directory it was loaded from");
        }
        ModelConfig c = model.config();
        int bos = model.tokenizer().bosTokenId();
        int[] eos = model.tokenizer().eosTokenIds();
        try {
            Files.createDirectories(dir);
            writeJson(dir.resolve("config.json"), HfConfigWriter.toJson(c, dtype, bos, eos));
            writeJson(dir.resolve("generation_config.json"), HfConfigWriter.generationConfig(bos, eos));
            writeTokenizer(model, dir);
            writeWeights(model, dir, dtype, maxShardBytes);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot export model (" + e.getMessage() + ")", e);
        }
    }

    private static void writeWeights(Model model, Path dir, DType dtype, long maxShardBytes) throws IOException {
        List<List<SafeTensorsWriter.Entry>> shards = new ArrayList<>();
        List<SafeTensorsWriter.Entry> current = new ArrayList<>();
        long currentBytes = 0, total = 0;
        for (TensorSpec s : LlamaTensors.expected(model.config())) {
            SafeTensorsWriter.Entry e = SafeTensorsWriter.Entry.converted(s.name(), s.shape(), dtype,
                    () -> model.weights().tensor(s.name(), s.shape()));
            if (!current.isEmpty() && currentBytes + e.byteSize() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e);
            currentBytes += e.byteSize();
            total += e.byteSize();
        }
        shards.add(current);
        // Never leave the other layout behind: the loader would pick up stale weights.
        Files.deleteIfExists(dir.resolve(ShardedWeights.SINGLE_FILE));
        Files.deleteIfExists(dir.resolve(ShardedWeights.INDEX_FILE));
        if (shards.size() == 1) {
            SafeTensorsWriter.write(dir.resolve(ShardedWeights.SINGLE_FILE), shards.get(0));
            return;
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafeTensorsWriter.write(dir.resolve(file), shards.get(i));
            for (SafeTensorsWriter.Entry e : shards.get(i)) weightMap.put(e.name(), file);
        }
        ObjectNode index = JsonFiles.MAPPER.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        writeJson(dir.resolve(ShardedWeights.INDEX_FILE), index);
    }

    private static void writeTokenizer(Model model, Path dir) throws IOException {
        if (model.tokenizer() instanceof ByteTokenizer) {
            writeJson(dir.resolve("tokenizer.json"), ByteTokenizerExport.tokenizerJson(model.config().vocabSize()));
            writeJson(dir.resolve("tokenizer_config.json"), ByteTokenizerExport.tokenizerConfig(model.config().maxPositionEmbeddings()));
            return;
        }
        Path src = Path.of(model.source());
        if (!Files.isRegularFile(src.resolve("tokenizer.json"))) {
            throw new ModelException(model.source() + ": cannot export the tokenizer (no tokenizer.json to copy)");
        }
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            if (Files.isRegularFile(src.resolve(f))) Files.copy(src.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean sameDir(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        Files.write(file, JsonFiles.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
    }
}
