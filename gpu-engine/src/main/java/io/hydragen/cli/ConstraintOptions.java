package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.constrain.Constraint;
import io.hydragen.constrain.ConstraintException;
import io.hydragen.model.JsonFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Structured output (issue #11) for {@code hydragen generate}: {@code --json-schema}, {@code --regex} or
 * {@code --choice} constrain every row's completion; a prompt line's own {@code response_format}, {@code regex} or
 * {@code choice} wins over them ({@link #rowConstraint}).
 */
final class ConstraintOptions {

    @Option(names = "--json-schema", paramLabel = "FILE|JSON", description = {
            "Completions are JSON valid against this schema (a file, or the schema's JSON text);",
            "{\"type\": \"json_object\"} for any JSON object. A line's \"response_format\" wins."})
    String jsonSchema;

    @Option(names = "--regex", paramLabel = "RE", description = "Completions match this regular expression as a whole. A line's \"regex\" wins.")
    String regex;

    @Option(names = "--choice", paramLabel = "A,B,...", description = {
            "Completions are one of these strings: a comma-separated list, or repeat the option,",
            "one choice each (commas kept). A line's \"choice\" wins."})
    List<String> choice = new ArrayList<>();

    /** The constraint the flags give, or null; a usage error for two at once or a bad value. */
    Constraint constraint() {
        int given = (jsonSchema != null ? 1 : 0) + (regex != null ? 1 : 0) + (choice.isEmpty() ? 0 : 1);
        if (given > 1) throw new UsageException("give at most one of --json-schema, --regex and --choice");
        try {
            if (regex != null) return Constraint.regex(regex);
            if (!choice.isEmpty()) return Constraint.choice(choice.size() == 1 ? List.of(choice.get(0).split(",", -1)) : choice);
            if (jsonSchema != null) return schema(jsonSchema);
        } catch (ConstraintException e) {
            throw new UsageException(e.getMessage());
        }
        return null;
    }

    private static Constraint schema(String value) {
        String text = value.strip();
        if (!text.startsWith("{") && !text.equals("true") && !text.equals("false")) {
            Path p = Path.of(value);
            if (!Files.isRegularFile(p)) throw new UsageException("--json-schema " + value + ": no such file (or give the schema's JSON)");
            try {
                text = Files.readString(p, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UsageException("--json-schema " + value + ": " + e.getMessage());
            }
        }
        JsonNode n;
        try {
            n = JsonFiles.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UsageException("--json-schema: not valid JSON: " + e.getMessage());
        }
        if (n == null) throw new UsageException("--json-schema: empty");
        return responseFormat(n);
    }

    /** A schema, or a whole response_format ({@code {"type": "json_schema", "schema": ...}} / {@code {"type": "json_object"}}). */
    private static Constraint responseFormat(JsonNode n) {
        String type = n.path("type").asText("");
        if (type.equals("json_schema") || type.equals("json_object")) return Constraint.parse(n);
        return Constraint.jsonSchema(n);
    }

    /**
     * A prompt line's own constraint: {@code "response_format"} ({@code {"type": "json_schema", "schema": {...}}} or
     * {@code {"type": "json_object"}}), {@code "regex"} (a string) or {@code "choice"} (an array of strings); null when
     * it has none.
     *
     * @throws ConstraintException for a malformed one, or more than one
     */
    static Constraint rowConstraint(JsonNode line) {
        JsonNode rf = present(line, "response_format"), re = present(line, "regex"), ch = present(line, "choice");
        int given = (rf != null ? 1 : 0) + (re != null ? 1 : 0) + (ch != null ? 1 : 0);
        if (given > 1) throw new ConstraintException("give at most one of \"response_format\", \"regex\" and \"choice\"");
        if (re != null) {
            if (!re.isTextual()) throw new ConstraintException("\"regex\" must be a string");
            return Constraint.regex(re.textValue());
        }
        if (ch != null) {
            if (!ch.isArray()) throw new ConstraintException("\"choice\" must be an array of strings");
            List<String> out = new ArrayList<>();
            for (JsonNode c : ch) {
                if (!c.isTextual()) throw new ConstraintException("\"choice\" must be an array of strings");
                out.add(c.textValue());
            }
            return Constraint.choice(out);
        }
        if (rf != null) {
            if (!rf.isObject()) throw new ConstraintException("\"response_format\" must be an object like {\"type\": \"json_schema\", \"schema\": {...}}");
            if (rf.path("type").asText("").equals("text")) return null; // OpenAI's default: free text
            return Constraint.parse(rf);
        }
        return null;
    }

    private static JsonNode present(JsonNode line, String key) {
        JsonNode v = line.get(key);
        return v == null || v.isNull() ? null : v;
    }
}
