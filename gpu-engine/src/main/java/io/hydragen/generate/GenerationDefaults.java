package io.hydragen.generate;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.JsonFiles;
import io.hydragen.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model's own sampling defaults, from {@code generation_config.json}, applied where the user sets nothing (as
 * vLLM does with its default {@code --generation-config auto}): {@code temperature}, {@code top_k}, {@code top_p},
 * {@code max_new_tokens} ({@code max_length} is ignored, as in vLLM). Like vLLM, {@code do_sample} is not consulted:
 * a temperature the model publishes is used. End-of-sequence ids are read from the same file by the tokenizer
 * ({@link io.hydragen.tokenizer.TokenizerLoader}), whatever these defaults. A field absent, null or of the wrong type
 * is null here: the built-in default applies.
 */
public record GenerationDefaults(Integer maxNewTokens, Double temperature, Integer topK, Double topP) {

    public static final GenerationDefaults NONE = new GenerationDefaults(null, null, null, null);

    /** Built-in defaults where neither the user nor the model sets a value (those of {@code bin/hydragen generate}). */
    public static final int MAX_NEW_TOKENS = 16;
    public static final double TEMPERATURE = 0.0;
    public static final int TOP_K = 0;
    public static final double TOP_P = 1.0;

    /** The defaults of a model spec: a directory's generation_config.json; none for {@code synthetic:NAME} or no file. */
    public static GenerationDefaults of(String modelSpec) {
        if (modelSpec == null || modelSpec.startsWith(ModelLoader.SYNTHETIC_PREFIX)) return NONE;
        return read(Path.of(modelSpec));
    }

    /** Reads {@code dir/generation_config.json}; {@link #NONE} when it is absent. */
    public static GenerationDefaults read(Path dir) {
        Path file = dir.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) return NONE;
        JsonNode n = JsonFiles.readObject(file);
        return new GenerationDefaults(
                n.path("max_new_tokens").isIntegralNumber() ? n.get("max_new_tokens").asInt() : null,
                n.path("temperature").isNumber() ? n.get("temperature").asDouble() : null,
                n.path("top_k").isIntegralNumber() ? n.get("top_k").asInt() : null,
                n.path("top_p").isNumber() ? n.get("top_p").asDouble() : null);
    }

    /** The user's value where given, else the model's, else the built-in default. */
    public int maxNewTokens(Integer user) { return user != null ? user : maxNewTokens != null ? maxNewTokens : MAX_NEW_TOKENS; }

    public double temperature(Double user) { return user != null ? user : temperature != null ? temperature : TEMPERATURE; }

    public int topK(Integer user) { return user != null ? user : topK != null ? topK : TOP_K; }

    public double topP(Double user) { return user != null ? user : topP != null ? topP : TOP_P; }
}
