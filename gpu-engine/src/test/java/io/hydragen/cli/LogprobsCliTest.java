package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.SamplingParams;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hydragen generate --logprobs / --prompt-logprobs} and the same keys in a line, end to end. */
class LogprobsCliTest {
    @TempDir
    static Path tmp;

    static final String PREFIX = "You are a careful assistant. Answer in one word. ";

    @Test
    void outputFieldsOnlyWhenAskedAndALinesOwnValueWins() throws Exception {
        Path in = Files.writeString(tmp.resolve("in.jsonl"), String.join("\n",
                "{\"id\": \"flags\", \"prompt\": \"" + PREFIX + "Where?\"}",
                "{\"id\": \"more\", \"prompt\": \"" + PREFIX + "When?\", \"logprobs\": 4, \"prompt_logprobs\": 0}",
                "{\"id\": \"off\", \"prompt\": \"" + PREFIX + "Who?\", \"logprobs\": null}",
                "{\"id\": \"bad\", \"prompt\": \"x\", \"logprobs\": 21}",
                "{\"id\": \"badtype\", \"prompt\": \"x\", \"prompt_logprobs\": \"2\"}") + "\n");
        Path out = tmp.resolve("out.jsonl");
        CliRun run = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--max-new-tokens", "5", "--logprobs", "2", "--prompt-logprobs", "1", "--min-shared-tokens", "8", "-q");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(5, rows.size());

        JsonNode flags = rows.get(0), more = rows.get(1);
        assertEquals(5, flags.get("logprobs").size());
        assertEquals(2, flags.get("logprobs").get(0).get("top").size());
        assertEquals(flags.get("prompt_token_ids").size(), flags.get("prompt_logprobs").size());
        assertTrue(flags.get("prompt_logprobs").get(0).isNull(), "the first prompt token has no entry");
        assertEquals(1, flags.get("prompt_logprobs").get(1).get("top").size());
        assertEquals(4, more.get("logprobs").get(0).get("top").size(), "the line's logprobs wins");
        assertEquals(0, more.get("prompt_logprobs").get(3).get("top").size(), "the line's prompt_logprobs wins");
        double sum = 0;
        for (JsonNode e : flags.get("logprobs")) sum += e.get("logprob").asDouble();
        assertEquals(sum, flags.get("cumulative_logprob").asDouble(), 1e-9);
        for (int t = 0; t < 5; t++) {
            JsonNode e = flags.get("logprobs").get(t);
            assertEquals(flags.get("completion_token_ids").get(t).asInt(), e.get("id").asInt());
            assertTrue(e.get("token").isTextual());
            assertEquals(List.of("id", "token", "logprob", "top"), names(e));
        }
        // the line's own value wins over a flag even when it turns the field off
        JsonNode off = rows.get(2);
        assertTrue(off.get("logprobs").isNull(), "logprobs: null turns it off (the input's null is carried through)");
        assertFalse(off.has("cumulative_logprob"));
        assertTrue(off.has("prompt_logprobs"));
        assertEquals("error", rows.get(3).get("finish_reason").asText());
        assertEquals("line 4: \"logprobs\" must be an integer between 0 and 20, got 21", rows.get(3).get("error").asText());
        assertEquals("line 5: \"prompt_logprobs\" must be an integer between 0 and 20, got \"2\"", rows.get(4).get("error").asText());

        // the CLI writes what the engine API computes
        SamplingParams p = new SamplingParams(5, 0, 0, 1, 0, List.of(), List.of(), false, 1).withLogprobs(2).withPromptLogprobs(1);
        try (Engine e = Engine.open(EngineOptions.of("synthetic:tiny").withBackend("cpu"))) {
            Completion c = e.generate(List.of(GenerationRequest.ofText("x", PREFIX + "Where?", p))).completions().get(0);
            for (int t = 0; t < 5; t++) {
                assertEquals(c.logprobs().get(t).logprob(), flags.get("logprobs").get(t).get("logprob").asDouble(), 1e-5);
                assertEquals(c.logprobs().get(t).top().get(1).token(), flags.get("logprobs").get(t).get("top").get(1).get("token").asText());
            }
            for (int t = 1; t < c.promptLogprobs().size(); t++) {
                assertEquals(c.promptLogprobs().get(t).logprob(), flags.get("prompt_logprobs").get(t).get("logprob").asDouble(), 1e-5);
            }
        }
    }

    @Test
    void withoutTheFlagsNoLineHasTheFieldsAndABadFlagIsAUsageError() throws Exception {
        Path in = Files.writeString(tmp.resolve("plain.jsonl"), "{\"prompt\": \"hello\"}\n");
        Path out = tmp.resolve("plain.out.jsonl");
        CliRun ok = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--max-new-tokens", "2", "-q");
        assertEquals(0, ok.exitCode(), ok.err());
        JsonNode row = CliRun.jsonLines(out).get(0);
        assertFalse(row.has("logprobs") || row.has("prompt_logprobs") || row.has("cumulative_logprob"), row.toString());
        CliRun bad = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--logprobs", "21");
        assertEquals(2, bad.exitCode(), "a usage error");
        assertTrue(bad.err().contains("--logprobs must be between 0 and 20"), bad.err());
    }

    @Test
    void promptLogprobsWithZeroNewTokensOnlyPrefill() throws Exception {
        Path in = Files.writeString(tmp.resolve("zero.jsonl"), "{\"prompt\": \"" + PREFIX + "A\"}\n{\"prompt\": \"" + PREFIX + "B\"}\n");
        Path out = tmp.resolve("zero.out.jsonl");
        CliRun run = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--max-new-tokens", "0", "--prompt-logprobs", "0", "-q");
        assertEquals(0, run.exitCode(), run.err());
        for (JsonNode r : CliRun.jsonLines(out)) {
            assertEquals("", r.get("completion").asText());
            assertEquals("length", r.get("finish_reason").asText());
            assertTrue(r.get("prompt_logprobs").get(1).get("logprob").asDouble() < 0);
        }
    }

    private static List<String> names(JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
