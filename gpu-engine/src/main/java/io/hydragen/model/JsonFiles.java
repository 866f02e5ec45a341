package io.hydragen.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the small JSON files of a Hugging Face model directory, turning every failure into a one-line {@link ModelException}. */
public final class JsonFiles {
    private JsonFiles() {}

    /** Shared, thread-safe once configured. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** The file's top-level JSON object; a ModelException naming the file when it is missing, unreadable or not an object. */
    public static JsonNode readObject(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelException(file + ": missing file");
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parseObject(file.toString(), "file", bytes);
    }

    /**
     * Parses bytes that claim to be a JSON object.
     *
     * @param where   names the file in errors
     * @param subject what the bytes are within it ("file", "header"), for the message
     */
    public static JsonNode parseObject(String where, String subject, byte[] bytes) {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ModelException(where + ": " + subject + " is not valid JSON (" + firstLine(e.getOriginalMessage()) + ")", e);
        } catch (IOException e) {
            throw new ModelException(where + ": " + subject + " is not valid JSON (" + firstLine(e.getMessage()) + ")", e);
        }
        if (node == null || !node.isObject()) {
            throw new ModelException(where + ": " + subject + " is not a JSON object (found " + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)) + ")");
        }
        return node;
    }

    /** True when the field is absent or JSON null. */
    public static boolean isMissing(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        return n == null || n.isNull();
    }

    static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
