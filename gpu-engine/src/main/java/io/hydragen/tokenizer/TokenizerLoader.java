package io.hydragen.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.JsonFiles;
import io.hydragen.model.ModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads the tokenizer of a Hugging Face model directory ({@code tokenizer.json}) and finds its BOS and EOS ids,
 * looking where transformers does: {@code generation_config.json} first, then {@code tokenizer_config.json}'s
 * {@code bos_token}/{@code eos_token} strings, then {@code config.json}.
 */
public final class TokenizerLoader {
    private TokenizerLoader() {}

    public static HfTokenizer load(Path dir) { return load(dir, Integer.MAX_VALUE); }

    /**
     * @param vocabSize the model's vocab_size: a tokenizer that can produce an id at or beyond it is refused now,
     *                  rather than failing in the embedding lookup mid-generation
     */
    public static HfTokenizer load(Path dir, int vocabSize) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) throw new ModelException(file + ": missing file (only tokenizer.json tokenizers are supported)");
        HuggingFaceTokenizer djl;
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
            checkIds(file, JsonFiles.parseObject(file.toString(), "file", json.getBytes(StandardCharsets.UTF_8)), vocabSize);
            djl = HfTokenizer.parse(json);
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (ModelException e) {
            throw e;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            // The Rust library reports a malformed file as a RuntimeException with a multi-line message.
            throw new ModelException(file + ": not a loadable tokenizer (" + oneLine(e.getMessage()) + ")", e);
        }
        HfTokenizer probe = new HfTokenizer(djl, -1, new int[0]);
        try {
            JsonNode gen = readOptional(dir.resolve("generation_config.json"));
            JsonNode tok = readOptional(dir.resolve("tokenizer_config.json"));
            JsonNode cfg = readOptional(dir.resolve("config.json"));
            int bos = firstId(ids(gen, "bos_token_id"), tokenIds(probe, tok, "bos_token"), ids(cfg, "bos_token_id"));
            int[] eos = firstNonEmpty(ids(gen, "eos_token_id"), tokenIds(probe, tok, "eos_token"), ids(cfg, "eos_token_id"));
            return new HfTokenizer(djl, bos, eos, json);
        } catch (RuntimeException e) {
            djl.close();
            throw e;
        }
    }

    private static void checkIds(Path file, JsonNode root, int vocabSize) {
        long maxId = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : vocab) maxId = Math.max(maxId, id.asLong(-1));
        } else if (vocab.isArray()) {
            maxId = vocab.size() - 1; // Unigram: [piece, score] pairs, id = position
        }
        for (JsonNode t : root.path("added_tokens")) maxId = Math.max(maxId, t.path("id").asLong(-1));
        if (maxId >= vocabSize) {
            throw new ModelException(file + ": token id " + maxId + " is outside the model's vocab_size " + vocabSize);
        }
    }

    private static JsonNode readOptional(Path file) {
        return Files.exists(file) ? JsonFiles.readObject(file) : null;
    }

    /** An int or a list of ints (generation_config's eos_token_id may be either); empty when absent. */
    private static int[] ids(JsonNode root, String field) {
        if (root == null || JsonFiles.isMissing(root, field)) return new int[0];
        JsonNode n = root.get(field);
        if (n.isIntegralNumber()) return new int[] {n.asInt()};
        if (n.isArray()) {
            int[] out = new int[n.size()];
            for (int i = 0; i < out.length; i++) out[i] = n.get(i).asInt(-1);
            return out;
        }
        return new int[0];
    }

    /** tokenizer_config.json names tokens by string, or by {"content": string}; ask the tokenizer for the id. */
    private static int[] tokenIds(HfTokenizer probe, JsonNode root, String field) {
        if (root == null || JsonFiles.isMissing(root, field)) return new int[0];
        JsonNode n = root.get(field);
        String token = n.isTextual() ? n.asText() : n.isObject() && n.has("content") ? n.get("content").asText() : null;
        if (token == null) return new int[0];
        int id = probe.tokenId(token);
        return id < 0 ? new int[0] : new int[] {id};
    }

    private static int firstId(int[]... candidates) {
        int[] ids = firstNonEmpty(candidates);
        return ids.length == 0 ? -1 : ids[0];
    }

    private static int[] firstNonEmpty(int[]... candidates) {
        for (int[] c : candidates) if (c.length > 0) return c;
        return new int[0];
    }

    private static String oneLine(String s) {
        return s == null ? "unknown error" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
