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
            JsonNode root = JsonFiles.parseObject(file.toString(), "file", json.getBytes(StandardCharsets.UTF_8));
            checkParsable(file, root, "", 0);
            checkPostProcessor(file, root.get("post_processor"), "post_processor");
            checkIds(file, root, vocabSize);
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

    /** Deeper than this, the Rust parser gives up; found by fuzzing (it aborted the JVM). */
    static final int MAX_DEPTH = 64;

    /**
     * Refuses what the Rust library cannot parse and, in some sections (decoder, normalizer, ...), answers with a
     * panic that aborts the whole JVM rather than with an error: a number beyond the range of a double, nesting
     * deeper than its recursion limit, a string with an unpaired UTF-16 surrogate.
     */
    private static void checkParsable(Path file, JsonNode n, String path, int depth) {
        if (depth > MAX_DEPTH) throw new ModelException(file + ": JSON nested more than " + MAX_DEPTH + " levels deep at " + where(path));
        if (n.isNumber() && !Double.isFinite(n.doubleValue())) {
            throw new ModelException(file + ": number out of range at " + where(path));
        }
        if (n.isTextual()) checkString(file, n.textValue(), path);
        if (n.isObject()) {
            for (var it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                checkString(file, e.getKey(), path);
                checkParsable(file, e.getValue(), path + "." + e.getKey(), depth + 1);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) checkParsable(file, n.get(i), path + "[" + i + "]", depth + 1);
        }
    }

    /**
     * A TemplateProcessing post-processor must name only special tokens it defines, with as many ids as token strings,
     * and its single-sequence template may only hold sequence A: the Rust library does not check this when loading
     * and panics (aborting the JVM) at the first encode. Found by fuzzing.
     */
    private static void checkPostProcessor(Path file, JsonNode p, String path) {
        if (p == null || !p.isObject()) return;
        String type = p.path("type").asText("");
        if (type.equals("Sequence")) {
            JsonNode list = p.get("processors");
            if (list != null && list.isArray()) for (int i = 0; i < list.size(); i++) checkPostProcessor(file, list.get(i), path + ".processors[" + i + "]");
            return;
        }
        if (!type.equals("TemplateProcessing")) return;
        JsonNode specials = p.get("special_tokens");
        if (specials != null && specials.isObject()) {
            for (var it = specials.fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode ids = e.getValue().get("ids"), tokens = e.getValue().get("tokens");
                if (ids != null && tokens != null && ids.isArray() && tokens.isArray() && ids.size() != tokens.size()) {
                    throw new ModelException(file + ": " + where(path) + " special token " + where(e.getKey()) + " has " + ids.size()
                            + " ids but " + tokens.size() + " tokens");
                }
            }
        }
        for (String template : new String[] {"single", "pair"}) {
            JsonNode pieces = p.get(template);
            if (pieces == null || !pieces.isArray()) continue;
            for (JsonNode piece : pieces) {
                JsonNode special = piece.get("SpecialToken"), seq = piece.get("Sequence");
                if (special != null) {
                    String id = special.path("id").asText(null);
                    if (id != null && (specials == null || !specials.isObject() || !specials.has(id))) {
                        throw new ModelException(file + ": " + where(path) + "." + template + " uses special token " + where(id)
                                + ", which its special_tokens do not define");
                    }
                }
                if (seq != null && template.equals("single") && "B".equals(seq.path("id").asText(""))) {
                    throw new ModelException(file + ": " + where(path) + ".single uses sequence B, which a single sequence does not have");
                }
            }
        }
    }

    /** A JSON path for a one-line message: control characters escaped, at most 100 characters. */
    private static String where(String path) {
        if (path.isEmpty()) return "the top level";
        StringBuilder b = new StringBuilder();
        for (char c : path.toCharArray()) {
            if (b.length() >= 100) { b.append("..."); break; }
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    private static void checkString(Path file, String s, String path) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) { i++; continue; }
            if (Character.isSurrogate(c)) {
                throw new ModelException(file + ": string with an unpaired surrogate \\u" + Integer.toHexString(c) + " at " + where(path));
            }
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
