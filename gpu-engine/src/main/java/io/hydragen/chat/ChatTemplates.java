package io.hydragen.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.JsonFiles;
import io.hydragen.model.ModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a model's chat template where transformers does, and its special tokens.
 *
 * <p>Template, first found wins: the user's file ({@code --chat-template FILE}, option {@code chat_template});
 * {@code chat_template.jinja} in the model directory (transformers lets it override the config's); the
 * {@code chat_template} of {@code tokenizer_config.json}, a string or a list of {@code {"name", "template"}} of which
 * the one named {@code default} is taken.
 *
 * <p>Special tokens ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}, ...) come from
 * {@code tokenizer_config.json}, overridden by {@code special_tokens_map.json} as transformers does; each is a string
 * or an AddedToken object {@code {"content": ...}}; a null one is left undefined.
 */
public final class ChatTemplates {
    private ChatTemplates() {}

    /**
     * The model's chat template.
     *
     * @param overrideFile the user's template file, or null
     * @throws ChatTemplateException when there is no template, or it cannot be read or parsed
     */
    public static ChatTemplate load(Path modelDir, Path overrideFile) {
        return find(modelDir, overrideFile, Clock.systemDefaultZone()).orElseThrow(() -> new ChatTemplateException(
                modelDir + ": the model has no chat template (no chat_template in tokenizer_config.json, no "
                        + "chat_template.jinja); give one with --chat-template FILE (option chat_template)"));
    }

    /** The template, or empty when neither the user nor the model gives one. */
    public static Optional<ChatTemplate> find(Path modelDir, Path overrideFile, Clock clock) {
        Path tokConfigFile = modelDir == null ? null : modelDir.resolve("tokenizer_config.json");
        JsonNode tokConfig = tokConfigFile != null && Files.isRegularFile(tokConfigFile) ? readJson(tokConfigFile) : null;
        Map<String, Object> tokens = specialTokens(modelDir, tokConfig);
        if (overrideFile != null) {
            return Optional.of(ChatTemplate.compile(readText(overrideFile), tokens, clock, overrideFile.toString()));
        }
        if (modelDir == null) return Optional.empty();
        Path jinja = modelDir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return Optional.of(ChatTemplate.compile(readText(jinja), tokens, clock, jinja.toString()));
        }
        if (tokConfig == null || JsonFiles.isMissing(tokConfig, "chat_template")) return Optional.empty();
        String source = templateFromConfig(tokConfig.get("chat_template"), tokConfigFile);
        return Optional.of(ChatTemplate.compile(source, tokens, clock, tokConfigFile + " chat_template"));
    }

    private static String templateFromConfig(JsonNode node, Path file) {
        if (node.isTextual()) return node.asText();
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode t : node) {
                String name = t.path("name").asText(null);
                names.add(name);
                if ("default".equals(name) && t.path("template").isTextual()) return t.get("template").asText();
            }
            throw new ChatTemplateException(file + ": chat_template lists templates " + names
                    + " but none named 'default'; give one with --chat-template FILE");
        }
        throw new ChatTemplateException(file + ": chat_template is neither a string nor a list of {name, template}");
    }

    /** Special tokens as template variables: tokenizer_config.json, then special_tokens_map.json over it. */
    static Map<String, Object> specialTokens(Path modelDir, JsonNode tokConfig) {
        Map<String, Object> out = new LinkedHashMap<>();
        addTokens(out, tokConfig);
        if (modelDir != null) {
            Path map = modelDir.resolve("special_tokens_map.json");
            if (Files.isRegularFile(map)) addTokens(out, readJson(map));
        }
        out.values().removeIf(v -> v == null);
        return out;
    }

    private static void addTokens(Map<String, Object> out, JsonNode root) {
        if (root == null) return;
        for (String name : ChatTemplate.SPECIAL_TOKEN_NAMES) {
            if (!root.has(name)) continue;
            JsonNode n = root.get(name);
            if (n.isArray()) {
                List<String> list = new ArrayList<>();
                for (JsonNode t : n) {
                    String s = tokenText(t);
                    if (s != null) list.add(s);
                }
                out.put(name, list);
            } else {
                out.put(name, tokenText(n));
            }
        }
    }

    /** A token given as a string or as an AddedToken {"content": ...}; null otherwise. */
    static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText();
        return null;
    }

    private static JsonNode readJson(Path file) {
        try {
            return JsonFiles.readObject(file);
        } catch (ModelException e) {
            throw new ChatTemplateException(e.getMessage(), e);
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ChatTemplateException(file + ": cannot read chat template (" + e + ")", e);
        }
    }
}
