package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.model.SharedModels;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hydragen score} end to end: scores against Hugging Face transformers on the reference checkpoint (the
 * "scoring" part of generate/logprob-reference.json, made by gpu-engine/src/test/python/logprob_reference.py),
 * bad lines, chat lines and --normalize.
 */
class ScoreCliTest {
    @TempDir
    static Path tmp;

    @Test
    void scoresMatchTransformersAndBadLinesGetTheirErrors() throws Exception {
        Path dir = SharedModels.require("tiny-llama-bpe");
        JsonNode ref;
        try (InputStream in = io.hydragen.generate.Completion.class.getResourceAsStream("logprob-reference.json")) {
            ref = new ObjectMapper().readTree(in).get("tiny-llama-bpe").get("scoring");
        }
        List<String> lines = new ArrayList<>();
        for (JsonNode c : ref) {
            var n = CliRun.JSON.createObjectNode();
            n.put("id", "q" + lines.size());
            n.put("prompt", c.get("prompt").asText());
            var cands = n.putArray("candidates");
            for (JsonNode s : c.get("scores")) cands.add(s.get("candidate").asText());
            lines.add(n.toString());
        }
        lines.add("{\"id\": \"nocands\", \"prompt\": \"x\"}");
        lines.add("{\"id\": \"notarray\", \"prompt\": \"x\", \"candidates\": \" a\"}");
        lines.add("{\"id\": \"notstring\", \"prompt\": \"x\", \"candidates\": [1]}");
        lines.add("not json");
        Path in = Files.writeString(tmp.resolve("score.jsonl"), String.join("\n", lines) + "\n");
        Path out = tmp.resolve("score.out.jsonl");
        CliRun run = CliRun.run("score", "--model", dir.toString(), "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--cpu-dtype", "fp32", "--min-shared-tokens", "2");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("hydragen: 6 rows (4 errors), 6 pairs"), run.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(6, rows.size());
        for (int r = 0; r < ref.size(); r++) {
            JsonNode got = rows.get(r), want = ref.get(r).get("scores");
            assertEquals("q" + r, got.get("id").asText());
            assertTrue(got.get("error").isNull());
            String best = null;
            double bestLp = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < want.size(); c++) {
                JsonNode s = got.get("scores").get(c);
                assertEquals(List.of("candidate", "logprob", "tokens", "greedy"), names(s));
                assertEquals(want.get(c).get("candidate").asText(), s.get("candidate").asText());
                assertEquals(want.get(c).get("logprob").asDouble(), s.get("logprob").asDouble(), 1e-3 * s.get("tokens").asInt());
                assertEquals(want.get(c).get("tokens").asInt(), s.get("tokens").asInt());
                assertEquals(want.get(c).get("greedy").asBoolean(), s.get("greedy").asBoolean());
                if (want.get(c).get("logprob").asDouble() > bestLp) { bestLp = want.get(c).get("logprob").asDouble(); best = s.get("candidate").asText(); }
            }
            assertEquals(best, got.get("best").asText());
        }
        assertEquals("line 3: no \"candidates\"", rows.get(2).get("error").asText());
        assertEquals("line 4: \"candidates\" must be a non-empty array of strings", rows.get(3).get("error").asText());
        assertEquals("line 5: candidates[0] must be a string", rows.get(4).get("error").asText());
        assertTrue(rows.get(5).get("error").asText().startsWith("line 6 is not valid JSON"), rows.get(5).toString());
        assertTrue(rows.get(5).get("best").isNull());
        assertEquals(0, rows.get(5).get("scores").size());
    }

    @Test
    void chatLinesAndNormalizedScores() throws Exception {
        Path template = Files.writeString(tmp.resolve("t.jinja"),
                "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}");
        Path in = Files.writeString(tmp.resolve("chat.jsonl"),
                "{\"id\": 1, \"messages\": [{\"role\": \"user\", \"content\": \"Is snow cold?\"}], \"candidates\": [\"yes\", \"no way at all\"]}\n"
                        + "{\"id\": 2, \"prompt\": \"<|user|>Is snow cold?\\n<|assistant|>\", \"candidates\": [\"yes\", \"no way at all\"]}\n");
        Path out = tmp.resolve("chat.out.jsonl");
        CliRun run = CliRun.run("score", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--chat-template", template.toString(), "--normalize", "-q");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        JsonNode chat = rows.get(0).get("scores"), text = rows.get(1).get("scores");
        String best = null;
        double bestNorm = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < 2; c++) {
            JsonNode s = chat.get(c);
            double norm = s.get("logprob").asDouble() / s.get("tokens").asInt();
            assertEquals(norm, s.get("normalized_logprob").asDouble(), 1e-12);
            if (norm > bestNorm) { bestNorm = norm; best = s.get("candidate").asText(); }
            // the rendered conversation has no BOS of its own; the text line gets the tokenizer's: they differ by it
            assertEquals(s.get("tokens").asInt(), text.get(c).get("tokens").asInt());
        }
        assertEquals(best, rows.get(0).get("best").asText());
    }

    @Test
    void helpDescribesTheCommand() {
        CliRun run = CliRun.run("score", "--help");
        assertEquals(0, run.exitCode());
        for (String s : List.of("candidates", "--normalize", "--min-shared-tokens", "\"best\"")) {
            assertTrue(run.out().contains(s), s + " in\n" + run.out());
        }
        assertTrue(CliRun.run("--help").out().contains("score"));
    }

    @Test
    void benchScoreComparesTheTwoPlansInOneRun() {
        CliRun run = CliRun.run("bench-score", "--model", "synthetic:tiny", "--prefix-words", "30", "--questions", "3", "--candidates", "2",
                "--backend", "cpu");
        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.out().lines().toList();
        String[] shared = lines.get(2).trim().split("\\s+"), perPair = lines.get(3).trim().split("\\s+");
        assertEquals("two-level", shared[0]);
        assertEquals("per-pair", perPair[0]);
        assertEquals(shared[1], perPair[1], "the same prompt tokens");
        assertEquals(Long.parseLong(perPair[1]), Long.parseLong(perPair[2]), "per pair: every prompt token prefilled");
        assertTrue(Long.parseLong(shared[2]) * 3 < Long.parseLong(perPair[2]), "two-level prefills the prefix once: " + run.out());
        assertTrue(lines.get(4).matches("two-level prefills [0-9.]+x fewer tokens and is [0-9.]+x faster; largest score difference .*"), lines.get(4));
    }

    private static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
