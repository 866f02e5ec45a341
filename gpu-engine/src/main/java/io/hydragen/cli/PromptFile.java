package io.hydragen.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads JSONL prompts, {@code {"id": ..., "prompt": "..."}} per line. A line that cannot be used becomes a row with
 * an error rather than failing the file, so every other line is still answered; blank lines are skipped.
 */
final class PromptFile {
    private final ObjectMapper json;

    PromptFile(ObjectMapper json) { this.json = json; }

    List<PromptRow> read(InputStream in) throws IOException {
        List<PromptRow> rows = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            int line = 0;
            for (String text; (text = r.readLine()) != null; line++) {
                if (line == 0 && text.startsWith("\uFEFF")) text = text.substring(1); // a byte order mark some editors write
                if (!text.isBlank()) rows.add(parse(line, text));
            }
        }
        return rows;
    }

    PromptRow parse(int line, String text) {
        IntNode lineId = IntNode.valueOf(line);
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (JacksonException e) {
            return new PromptRow(line, lineId, null, "line " + (line + 1) + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return new PromptRow(line, lineId, null, "line " + (line + 1) + ": expected a JSON object like {\"id\": ..., \"prompt\": \"...\"}");
        }
        JsonNode id = node.get("id");
        if (id == null || id.isNull()) id = lineId;
        else if (!id.isTextual() && !id.isNumber()) {
            return new PromptRow(line, id, null, "line " + (line + 1) + ": \"id\" must be a string or a number, got " + kind(id));
        }
        JsonNode prompt = node.get("prompt");
        if (prompt == null || prompt.isNull()) return new PromptRow(line, id, null, "line " + (line + 1) + ": no \"prompt\"");
        if (!prompt.isTextual()) {
            return new PromptRow(line, id, null, "line " + (line + 1) + ": \"prompt\" must be a string, got " + kind(prompt));
        }
        if (prompt.textValue().isEmpty()) return new PromptRow(line, id, null, "line " + (line + 1) + ": empty prompt");
        return new PromptRow(line, id, prompt.textValue(), null);
    }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case BOOLEAN -> "a boolean";
            case NUMBER -> "a number";
            case STRING -> "a string";
            default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
