package io.hydragen.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import io.hydragen.chat.ChatMessage;

/**
 * Reads JSONL prompts, {@code {"id": ..., "prompt": "..."}} per line. A line that cannot be used (not UTF-8, not
 * JSON, no prompt, ...) becomes a row with an error rather than failing the file, so every other line is still
 * answered; blank lines are skipped. A line that is not valid UTF-8 is reported with its first bad byte and that
 * byte's 0-based offset within the line, never decoded to U+FFFD.
 */
final class PromptFile {
    private final ObjectMapper json;

    PromptFile(ObjectMapper json) { this.json = json; }

    List<PromptRow> read(InputStream in) throws IOException {
        List<PromptRow> rows = new ArrayList<>();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        InputStream buffered = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int line = 0;
        // Lines end at \n, \r\n or a lone \r, as BufferedReader.readLine counts them.
        for (int b = buffered.read(); ; ) {
            if (b < 0 && bytes.size() == 0) break;
            if (b < 0 || b == '\n' || b == '\r') {
                PromptRow row = line(line, bytes.toByteArray(), utf8);
                if (row != null) rows.add(row);
                bytes.reset();
                line++;
                if (b < 0) break;
                int next = buffered.read();
                if (b == '\r' && next == '\n') next = buffered.read();
                if (next < 0) break;
                b = next;
                continue;
            }
            bytes.write(b);
            b = buffered.read();
        }
        return rows;
    }

    /** One line's bytes as a row; null for a blank line. */
    private PromptRow line(int line, byte[] bytes, CharsetDecoder utf8) {
        int start = 0;
        if (line == 0 && bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
            start = 3; // a byte order mark some editors write
        }
        String text;
        try {
            text = utf8.reset().decode(ByteBuffer.wrap(bytes, start, bytes.length - start)).toString();
        } catch (CharacterCodingException e) {
            int at = firstInvalidByte(bytes, start);
            return new PromptRow(line, IntNode.valueOf(line), null, "line " + (line + 1) + " is not valid UTF-8 (byte 0x"
                    + String.format("%02x", bytes[at] & 0xff) + " at offset " + at + ")");
        }
        return text.isBlank() ? null : parse(line, text);
    }

    /** Offset within the line of the first byte that does not start or continue a valid UTF-8 sequence. */
    static int firstInvalidByte(byte[] bytes, int from) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, from, bytes.length - from);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        CoderResult r = d.decode(in, out, true);
        return r.isError() ? in.position() : Math.max(from, bytes.length - 1);
    }

    PromptRow parse(int line, String text) {
        IntNode lineId = IntNode.valueOf(line);
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (JacksonException e) {
            return new PromptRow(line, lineId, null, "line " + (line + 1) + " is not valid JSON: " + firstLine(e.getOriginalMessage()));
        }
        if (node == null || !node.isObject()) {
            return new PromptRow(line, lineId, null, "line " + (line + 1) + ": expected a JSON object like {\"id\": ..., \"prompt\": \"...\"}");
        }
        JsonNode id = node.get("id");
        boolean userId = id != null && !id.isNull();
        if (!userId) id = lineId;
        else if (!id.isTextual() && !id.isNumber()) {
            return new PromptRow(line, id, null, "line " + (line + 1) + ": \"id\" must be a string or a number, got " + kind(id));
        }
        io.hydragen.constrain.Constraint constraint;
        try {
            constraint = ConstraintOptions.rowConstraint(node);
        } catch (io.hydragen.constrain.ConstraintException e) {
            return new PromptRow(line, id, null, "line " + (line + 1) + ": " + e.getMessage());
        }
        String badLogprobs = LogprobOptions.rowError(node);
        if (badLogprobs != null) return new PromptRow(line, id, null, "line " + (line + 1) + ": " + badLogprobs);
        PromptRow row = promptOrChat(line, id, userId, node);
        return constraint == null || !row.ok() ? row : row.withConstraint(constraint);
    }

    private PromptRow promptOrChat(int line, JsonNode id, boolean userId, JsonNode node) {
        com.fasterxml.jackson.databind.node.ObjectNode fields = (com.fasterxml.jackson.databind.node.ObjectNode) node;
        JsonNode seed = node.get("seed");
        Long ownSeed = null;
        if (seed != null && !seed.isNull()) {
            if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
                return new PromptRow(line, id, null, "line " + (line + 1) + ": \"seed\" must be a 64-bit integer, got " + seed, fields, userId, null);
            }
            ownSeed = seed.longValue();
        }
        JsonNode prompt = node.get("prompt");
        JsonNode messages = node.get("messages");
        if (messages != null && !messages.isNull()) {
            if (prompt != null && !prompt.isNull()) {
                return new PromptRow(line, id, null, "line " + (line + 1) + ": give either \"prompt\" or \"messages\", not both", fields, userId, null);
            }
            return chat(line, id, node, messages, fields, userId, ownSeed);
        }
        if (prompt == null || prompt.isNull()) return new PromptRow(line, id, null, "line " + (line + 1) + ": no \"prompt\" (or \"messages\")", fields, userId, null);
        if (!prompt.isTextual()) {
            return new PromptRow(line, id, null, "line " + (line + 1) + ": \"prompt\" must be a string, got " + kind(prompt), fields, userId, null);
        }
        if (prompt.textValue().isEmpty()) return new PromptRow(line, id, null, "line " + (line + 1) + ": empty prompt", fields, userId, null);
        return new PromptRow(line, id, prompt.textValue(), null, fields, userId, ownSeed);
    }

    /** A line with {@code "messages"}: an array of {@code {"role": "...", "content": "..."}}. */
    private static PromptRow chat(int line, JsonNode id, JsonNode node, JsonNode messages,
                                  com.fasterxml.jackson.databind.node.ObjectNode fields, boolean userId, Long seed) {
        String at = "line " + (line + 1) + ": ";
        JsonNode agp = node.get("add_generation_prompt");
        Boolean addGenerationPrompt = null;
        if (agp != null && !agp.isNull()) {
            if (!agp.isBoolean()) return new PromptRow(line, id, null, at + "\"add_generation_prompt\" must be true or false, got " + kind(agp));
            addGenerationPrompt = agp.booleanValue();
        }
        if (!messages.isArray()) {
            return new PromptRow(line, id, null, at + "\"messages\" must be an array of {\"role\": ..., \"content\": ...}, got " + kind(messages));
        }
        if (messages.isEmpty()) return new PromptRow(line, id, null, at + "\"messages\" is empty");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String which = at + "messages[" + i + "]";
            if (!m.isObject()) return new PromptRow(line, id, null, which + " must be an object {\"role\": ..., \"content\": ...}, got " + kind(m));
            for (String field : List.of("role", "content")) {
                JsonNode v = m.get(field);
                if (v == null || v.isNull()) return new PromptRow(line, id, null, which + " has no \"" + field + "\"");
                if (!v.isTextual()) return new PromptRow(line, id, null, which + ": \"" + field + "\" must be a string, got " + kind(v));
            }
            out.add(new ChatMessage(m.get("role").textValue(), m.get("content").textValue()));
        }
        return new PromptRow(line, id, null, null, fields, userId, seed, out, addGenerationPrompt);
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
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
