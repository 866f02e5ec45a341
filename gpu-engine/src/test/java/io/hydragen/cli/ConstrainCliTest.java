package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hydragen generate} with structured output: per-line response_format / regex / choice and the flags. */
class ConstrainCliTest {
    @TempDir
    static Path tmp;

    static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":8},"
            + "\"zip\":{\"type\":\"string\",\"pattern\":\"^[0-9]{5}$\"}},\"required\":[\"city\",\"zip\"],\"additionalProperties\":false}";

    @Test
    void perLineConstraintsWinOverTheChoiceFlagEndToEnd() throws Exception {
        Path in = Files.writeString(tmp.resolve("in.jsonl"), String.join("\n",
                "{\"id\": \"schema\", \"prompt\": \"Address as JSON:\", \"response_format\": {\"type\": \"json_schema\", \"schema\": " + SCHEMA + "}}",
                "{\"id\": \"openai\", \"prompt\": \"Address:\", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"a\", \"schema\": " + SCHEMA + "}}}",
                "{\"id\": \"object\", \"prompt\": \"Any JSON object:\", \"response_format\": {\"type\": \"json_object\"}}",
                "{\"id\": \"regex\", \"prompt\": \"Phone:\", \"regex\": \"\\\\d{3}-\\\\d{4}\"}",
                "{\"id\": \"choice\", \"prompt\": \"Colour:\", \"choice\": [\"red\", \"green\"]}",
                "{\"id\": \"flag\", \"prompt\": \"Sentiment:\"}",
                "{\"id\": \"text\", \"prompt\": \"Free:\", \"response_format\": {\"type\": \"text\"}}",
                "{\"id\": \"badschema\", \"prompt\": \"x\", \"response_format\": {\"type\": \"json_schema\", \"schema\": {\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"http://x/y\"}}}}}",
                "{\"id\": \"badtype\", \"prompt\": \"x\", \"response_format\": {\"type\": \"xml\"}}",
                "{\"id\": \"two\", \"prompt\": \"x\", \"regex\": \"a\", \"choice\": [\"a\"]}",
                "{\"id\": \"notarray\", \"prompt\": \"x\", \"choice\": \"a\"}") + "\n");
        Path out = tmp.resolve("out.jsonl");
        CliRun run = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--max-new-tokens", "48", "--temperature", "1", "--seed", "3", "--n", "2",
                "--choice", "positive,negative", "--choice", "neutral, or mixed", "-q");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(22, rows.size());
        var schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(CliRun.JSON.readTree(SCHEMA));
        int validated = 0;
        for (JsonNode r : rows) {
            String id = r.get("id").asText(), text = r.path("completion").asText(), finish = r.get("finish_reason").asText();
            switch (id) {
                case "schema", "openai" -> {
                    if (finish.equals("stop")) {
                        assertTrue(schema.validate(CliRun.JSON.readTree(text)).isEmpty(), text);
                        validated++;
                    } else {
                        assertEquals("length", finish);
                    }
                }
                case "object" -> { if (finish.equals("stop")) assertTrue(CliRun.JSON.readTree(text).isObject(), text); }
                case "regex" -> { assertEquals("stop", finish); assertTrue(text.matches("\\d{3}-\\d{4}"), text); }
                case "choice" -> { assertEquals("stop", finish); assertTrue(List.of("red", "green").contains(text), text); }
                // repeated --choice: one choice each, commas kept
                case "flag" -> { assertEquals("stop", finish); assertTrue(List.of("positive,negative", "neutral, or mixed").contains(text), text); }
                case "text" -> assertTrue(List.of("length", "stop").contains(finish));
                default -> {
                    assertEquals("error", finish, r.toString());
                    assertTrue(r.get("error").asText().length() > 0);
                }
            }
        }
        assertTrue(validated > 0, "some JSON rows finished and validated");
    }

    @Test
    void flagsParseAndTwoConstraintFlagsAreAUsageError() throws Exception {
        Path in = Files.writeString(tmp.resolve("in2.jsonl"), "{\"id\": 1, \"prompt\": \"Pick:\"}\n{\"id\": 2, \"prompt\": \"Zip:\"}\n");
        Path schemaFile = Files.writeString(tmp.resolve("schema.json"), "{\"type\": \"string\", \"pattern\": \"^[0-9]{5}$\"}");
        for (String[] flag : List.of(new String[] {"--json-schema", schemaFile.toString()},
                new String[] {"--json-schema", "{\"type\": \"string\", \"pattern\": \"^[0-9]{5}$\"}"},
                new String[] {"--regex", "\"[0-9]{5}\""})) {
            Path out = tmp.resolve("out2.jsonl");
            CliRun run = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                    "--backend", "cpu", "--max-new-tokens", "12", "--temperature", "1", flag[0], flag[1], "-q");
            assertEquals(0, run.exitCode(), run.err());
            for (JsonNode r : CliRun.jsonLines(out)) {
                assertEquals("stop", r.get("finish_reason").asText(), r.toString());
                assertTrue(r.get("completion").asText().matches("\"[0-9]{5}\""), r.toString());
            }
        }
        CliRun two = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", tmp.resolve("o3.jsonl").toString(),
                "--regex", "a", "--choice", "b", "-q");
        assertTrue(two.exitCode() != 0);
        assertTrue(two.err().contains("at most one of --json-schema, --regex and --choice"), two.err());
        CliRun badRegex = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", tmp.resolve("o4.jsonl").toString(),
                "--regex", "(a", "-q");
        assertTrue(badRegex.exitCode() != 0 || CliRun.jsonLines(tmp.resolve("o4.jsonl")).stream().allMatch(r -> r.get("finish_reason").asText().equals("error")),
                badRegex.err());
    }
}
