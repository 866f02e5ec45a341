package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hydragen.model.SyntheticModels;
import io.hydragen.tokenizer.ByteTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hydragen generate} on synthetic:tiny, in-process: output rows, bad input rows, samples, streams. */
class GenerateCommandTest {
    private static final String MODEL = "synthetic:tiny";
    private static final String STORY = "Once upon a time a small fox lived at the edge of a quiet forest. ";

    @TempDir
    Path dir;

    private Path write(String name, List<String> lines) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, lines);
        return p;
    }

    @Test
    void everyLineIsAnsweredAndBadLinesCarryTheirError() throws IOException {
        int context = SyntheticModels.config("tiny").maxPositionEmbeddings();
        List<String> lines = new ArrayList<>();
        lines.add(CliRun.promptLine("first", STORY + "Where did it live?"));     // 0
        lines.add("");                                              // 1: blank, skipped
        lines.add("{\"id\": \"broken\", \"prompt\": ");              // 2: not JSON
        lines.add(CliRun.promptLine(7, null));                                   // 3: no prompt
        lines.add(CliRun.promptLine(42, STORY + "What did it eat?"));            // 4
        lines.add(CliRun.promptLine("long", "x".repeat(context + 10)));          // 5: longer than the context
        lines.add(CliRun.promptLine(null, STORY + "Who were its friends?"));     // 6: id defaults to the line number
        lines.add(CliRun.promptLine("empty", ""));                               // 7
        lines.add(CliRun.promptLine("number", 12));                              // 8: prompt not a string
        Path in = write("prompts.jsonl", lines);
        Path out = dir.resolve("out.jsonl");

        CliRun r = CliRun.run("generate", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--max-new-tokens", "5", "--ignore-eos", "--min-shared-tokens", "4", "--threads", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.out(), "results go to the file, not stdout");
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(8, rows.size(), "one line per non-blank input line");

        ByteTokenizer tok = new ByteTokenizer();
        Map<Integer, String> good = Map.of(0, STORY + "Where did it live?", 4, STORY + "What did it eat?", 6, STORY + "Who were its friends?");
        List<Integer> goodRows = List.of(0, 3, 5);
        List<String> ids = new ArrayList<>();
        for (JsonNode row : rows) ids.add(row.get("id").toString());
        assertEquals(List.of("\"first\"", "2", "7", "42", "\"long\"", "6", "\"empty\"", "\"number\""), ids, "ids echoed as given, in input order");
        assertTrue(rows.get(3).get("id").isInt() && rows.get(0).get("id").isTextual(), "numbers stay numbers, strings stay strings");

        int[] lineOf = {0, 2, 3, 4, 5, 6, 7, 8};
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            assertTrue(row.get("sample_index").isNull(), "sample_index is null with n = 1");
            if (goodRows.contains(i)) {
                String prompt = good.get(lineOf[i]);
                assertEquals("length", row.get("finish_reason").asText());
                assertTrue(row.get("error").isNull());
                assertArrayEquals(tok.encode(prompt, true), CliRun.ints(row.get("prompt_token_ids")));
                int[] completion = CliRun.ints(row.get("completion_token_ids"));
                assertEquals(5, completion.length);
                assertEquals(tok.decode(completion), row.get("completion").asText());
                assertEquals(5, row.get("completion_tokens").asInt());
                assertEquals(prompt.length() + 1, row.get("prompt_tokens").asInt());
                // the three prompts share BOS + STORY (and more), over min_shared_tokens
                assertTrue(row.get("shared_prompt_tokens").asInt() >= STORY.length() + 1, row.toString());
            } else {
                assertEquals("error", row.get("finish_reason").asText(), row.toString());
                assertEquals(0, row.get("completion_token_ids").size());
                assertEquals("", row.get("completion").asText());
            }
        }
        assertTrue(rows.get(1).get("error").asText().contains("line 3 is not valid JSON: "), rows.get(1).toString());
        assertTrue(rows.get(2).get("error").asText().contains("no \"prompt\""), rows.get(2).toString());
        assertTrue(rows.get(4).get("error").asText().contains("context is " + context + " tokens"), rows.get(4).toString());
        assertEquals(context + 11, rows.get(4).get("prompt_tokens").asInt(), "the too-long prompt was tokenized and counted");
        assertTrue(rows.get(6).get("error").asText().contains("empty prompt"), rows.get(6).toString());
        assertTrue(rows.get(7).get("error").asText().contains("\"prompt\" must be a string"), rows.get(7).toString());

        String summary = r.errLines().get(r.errLines().size() - 1);
        assertTrue(summary.startsWith("hydragen: 8 rows, 8 samples (5 errors)"), summary);
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temporary output removed");
    }

    @Test
    void samplesOfAPromptAreAdjacentWithTheirIndex() throws IOException {
        Path in = write("p.jsonl", List.of(CliRun.promptLine("a", STORY + "One?"), CliRun.promptLine("b", STORY + "Two?")));
        Path out = dir.resolve("out.jsonl");
        CliRun r = CliRun.run("generate", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--n", "2", "--temperature", "1.0", "--seed", "11", "--max-new-tokens", "8", "--ignore-eos", "--threads", "1");
        assertEquals(0, r.exitCode(), r.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(4, rows.size());
        String[] wantIds = {"a", "a", "b", "b"};
        for (int i = 0; i < 4; i++) {
            assertEquals(wantIds[i], rows.get(i).get("id").asText());
            assertEquals(i % 2, rows.get(i).get("sample_index").asInt());
            assertEquals(8, rows.get(i).get("completion_token_ids").size());
        }
        // Sample i draws from its own random stream (seed, i): the two samples of a prompt differ.
        assertNotEquals(rows.get(0).get("completion_token_ids"), rows.get(1).get("completion_token_ids"));
        assertNotEquals(rows.get(2).get("completion_token_ids"), rows.get(3).get("completion_token_ids"));
    }

    @Test
    void completionsFollowTheirRowWhateverTheOrderOfTheFile() throws IOException {
        List<String> prompts = List.of(STORY + "Zebra?", STORY + "Apple?", "Unrelated text about rivers.", STORY + "Mango?");
        List<String> forward = new ArrayList<>(), backward = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) forward.add(CliRun.promptLine("r" + i, prompts.get(i)));
        for (int i = prompts.size() - 1; i >= 0; i--) backward.add(CliRun.promptLine("r" + i, prompts.get(i)));
        Map<String, JsonNode> a = byId(generate(write("f.jsonl", forward))), b = byId(generate(write("b.jsonl", backward)));
        assertEquals(a.keySet(), b.keySet());
        for (String id : a.keySet()) {
            assertEquals(a.get(id).get("prompt_token_ids"), b.get(id).get("prompt_token_ids"), id);
            assertEquals(a.get(id).get("completion_token_ids"), b.get(id).get("completion_token_ids"), id);
        }
    }

    private List<JsonNode> generate(Path in) throws IOException {
        Path out = dir.resolve(in.getFileName() + ".out");
        CliRun r = CliRun.run("generate", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--max-new-tokens", "6", "--ignore-eos", "--min-shared-tokens", "4", "--threads", "1", "--quiet");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err(), "--quiet prints nothing on success");
        return CliRun.jsonLines(out);
    }

    private static Map<String, JsonNode> byId(List<JsonNode> rows) {
        Map<String, JsonNode> m = new HashMap<>();
        for (JsonNode r : rows) m.put(r.get("id").asText(), r);
        return m;
    }

    @Test
    void stdinToStdoutCarriesOnlyJsonLines() {
        String stdin = "{\"id\": 1.10, \"prompt\": \"" + STORY + "Where?\"}\n" + CliRun.promptLine(null, "Hi") + "\n";
        CliRun r = CliRun.runWithStdin(stdin, "generate", "--model", MODEL, "--input", "-", "--output", "-",
                "--max-new-tokens", "3", "--ignore-eos", "--threads", "1");
        assertEquals(0, r.exitCode(), r.err());
        List<JsonNode> rows = CliRun.jsonLines(r.out());
        assertEquals(2, rows.size());
        assertTrue(r.out().startsWith("{\"id\":1.10,"), "a decimal id is echoed exactly: " + r.out());
        assertEquals(1, rows.get(1).get("id").asInt());
        assertEquals(3, rows.get(1).get("completion_tokens").asInt());
        assertTrue(r.err().contains("hydragen: 2 rows"), "summary on stderr: " + r.err());
    }

    @Test
    void stopStringCutsTheCompletion() throws IOException {
        // Greedy output of the tiny model, then the same run stopped at a piece of that output.
        Path in = write("p.jsonl", List.of(CliRun.promptLine("s", STORY)));
        Path out = dir.resolve("full.jsonl");
        assertEquals(0, CliRun.run("generate", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--max-new-tokens", "12", "--ignore-eos", "--threads", "1").exitCode());
        String full = CliRun.jsonLines(out).get(0).get("completion").asText();
        // A made-up word from the second half (ASCII: a half-decoded UTF-8 byte can never match it early).
        java.util.regex.Matcher word = java.util.regex.Pattern.compile("[a-z]{3,}").matcher(full);
        assertTrue(word.find(full.length() / 3), "no word to stop at in: " + full);
        String stop = word.group();
        Path cut = dir.resolve("cut.jsonl");
        CliRun r = CliRun.run("generate", "--model", MODEL, "--input", in.toString(), "--output", cut.toString(),
                "--max-new-tokens", "12", "--ignore-eos", "--threads", "1", "--stop", stop);
        assertEquals(0, r.exitCode(), r.err());
        JsonNode row = CliRun.jsonLines(cut).get(0);
        assertEquals("stop", row.get("finish_reason").asText());
        assertEquals(full.substring(0, full.indexOf(stop)), row.get("completion").asText());
    }
}
