package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hydragen.model.SharedModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code hydragen generate} from the command line reproduces Hugging Face's greedy ids on the reference checkpoints
 * (../shared/models; skipped where absent): every prompt of every prompt set, in one file, with both attention modes.
 */
class GenerateReferenceParityTest {
    private static final double MARGIN = 1e-3;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama-bpe, hydragen", "tiny-llama-bpe, per-sequence", "tiny-llama-sp, hydragen", "tiny-llama-sp, per-sequence"})
    void greedyIdsEqualTransformers(String model, String attention) throws IOException {
        Path modelDir = SharedModels.require(model);
        JsonNode expected = CliRun.JSON.readTree(modelDir.resolve("expected.json").toFile());
        List<String> lines = new ArrayList<>();
        List<JsonNode> want = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = expected.get("prompt_sets").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> set = it.next();
            int i = 0;
            for (JsonNode p : set.getValue()) {
                ObjectNode line = CliRun.JSON.createObjectNode().put("id", set.getKey() + "/" + i++).put("prompt", p.get("text").asText());
                lines.add(line.toString());
                want.add(p);
            }
        }
        Path in = dir.resolve("prompts.jsonl"), out = dir.resolve("out.jsonl");
        Files.write(in, lines);
        CliRun r = CliRun.run("generate", "--model", modelDir.toString(), "--input", in.toString(), "--output", out.toString(),
                "--ignore-eos", "--max-new-tokens", "24", "--attention", attention, "--backend", "cpu", "--cpu-dtype", "fp32", "--min-shared-tokens", "4");
        assertEquals(0, r.exitCode(), r.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(want.size(), rows.size());
        long shared = 0;
        for (int k = 0; k < rows.size(); k++) {
            JsonNode row = rows.get(k), p = want.get(k);
            String where = model + " " + attention + " " + row.get("id").asText();
            assertEquals("length", row.get("finish_reason").asText(), where);
            assertArrayEquals(CliRun.ints(p.get("input_ids")), CliRun.ints(row.get("prompt_token_ids")), where + " prompt ids");
            int[] got = CliRun.ints(row.get("completion_token_ids"));
            assertEquals(24, got.length, where);
            int[] greedy = CliRun.ints(p.get("greedy_ids"));
            JsonNode margin = p.get("greedy_top2_margin");
            int checked = 0;
            for (int t = 0; t < greedy.length && margin.get(t).asDouble() > MARGIN; t++, checked++) {
                assertEquals(greedy[t], got[t], where + " greedy token " + t);
            }
            assertTrue(checked > 0, where + ": no step with a clear margin");
            shared += row.get("shared_prompt_tokens").asLong();
        }
        assertTrue(shared > 0, "the shared_prefix and hierarchical sets share prompt tokens");
    }
}
