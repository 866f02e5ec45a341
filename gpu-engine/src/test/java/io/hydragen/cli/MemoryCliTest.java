package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hydragen.generate.EngineOptions;
import io.hydragen.model.DType;
import io.hydragen.model.Model;
import io.hydragen.model.ModelExporter;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SyntheticModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hydragen generate} and memory: max_new_tokens beyond the context, --kv-budget, absurd model configs. */
class MemoryCliTest {
    @TempDir
    Path dir;

    private Path prompts(String... prompts) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            ObjectNode n = CliRun.JSON.createObjectNode();
            n.put("id", "p" + i);
            n.put("prompt", prompts[i]);
            lines.add(n.toString());
        }
        return Files.write(dir.resolve("in.jsonl"), lines);
    }

    @Test
    void maxNewTokensBeyondTheContextEndsEveryRowAtTheContext() throws IOException {
        int context = SyntheticModels.config("tiny").maxPositionEmbeddings();
        Path in = prompts("y".repeat(context - 60), "z".repeat(context - 90));
        for (String max : new String[] {"2147483647", "100000000"}) {
            Path out = dir.resolve("out-" + max + ".jsonl");
            CliRun r = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                    "--max-new-tokens", max, "--ignore-eos", "--threads", "2", "--kv-budget", "8m");
            assertEquals(0, r.exitCode(), r.err());
            List<JsonNode> rows = CliRun.jsonLines(out);
            assertEquals(2, rows.size());
            for (JsonNode row : rows) {
                assertEquals("length", row.get("finish_reason").asText(), row.toString().substring(0, 200));
                assertTrue(row.get("error").isNull(), row.get("error").toString());
                assertEquals(context, row.get("prompt_tokens").asInt() + row.get("completion_tokens").asInt());
            }
        }
    }

    @Test
    void aKvBudgetAnswersEveryRowAndGivesTheRowThatCannotFitAnError() throws IOException {
        Path in = prompts("Once upon a time, a fox. Where did it live?", "Once upon a time, a fox. What did it eat?", "x".repeat(300),
                "Once upon a time, a fox. Who were its friends?");
        Path free = dir.resolve("free.jsonl"), tight = dir.resolve("tight.jsonl");
        String[] common = {"generate", "--model", "synthetic:tiny", "--input", in.toString(), "--max-new-tokens", "6", "--ignore-eos", "--threads", "2"};
        CliRun a = CliRun.run(concat(common, "--output", free.toString()));
        assertEquals(0, a.exitCode(), a.err());
        // 512 bytes of KV per token: 100 KiB holds 200 tokens, enough for each short row but not for the 300-byte prompt
        CliRun b = CliRun.run(concat(common, "--output", tight.toString(), "--kv-budget", "100k"));
        assertEquals(0, b.exitCode(), b.err());
        List<JsonNode> x = CliRun.jsonLines(free), y = CliRun.jsonLines(tight);
        assertEquals(4, y.size());
        for (int i : new int[] {0, 1, 3}) {
            assertEquals(x.get(i).get("completion_token_ids"), y.get(i).get("completion_token_ids"));
            assertEquals("p" + i, y.get(i).get("id").asText());
        }
        assertEquals("error", y.get(2).get("finish_reason").asText());
        assertEquals("needs 153.5 KiB of KV cache for 301 prompt + 6 new tokens; the KV budget is 100.0 KiB", y.get(2).get("error").asText());
    }

    @Test
    void kvBudgetSizesAndHelp() {
        assertEquals(512L << 20, BackendOptions.parseSize("512m"));
        assertEquals(2L << 30, BackendOptions.parseSize("2g"));
        assertEquals(2L << 30, BackendOptions.parseSize("2GiB"));
        assertEquals(3L << 29, BackendOptions.parseSize("1.5g"));
        assertEquals(1073741824L, BackendOptions.parseSize("1073741824"));
        assertEquals(100 * 1024L, BackendOptions.parseSize("100K"));
        assertEquals(0, BackendOptions.parseSize("none"));
        assertEquals(0, BackendOptions.parseSize("0"));
        assertEquals(EngineOptions.AUTO_KV_BUDGET, BackendOptions.parseSize("auto"));
        for (String bad : new String[] {"-1", "lots", "1x", "", "99999999999t"}) {
            assertThrows(IllegalArgumentException.class, () -> BackendOptions.parseSize(bad), bad);
        }
        CliRun r = CliRun.run("generate", "--model", "synthetic:tiny", "--input", "nowhere.jsonl", "--output", "-", "--kv-budget", "lots");
        assertEquals(2, r.exitCode());
        assertEquals(List.of("hydragen: error: --kv-budget: 'lots' is not a size (e.g. 1073741824, 512m, 2g, auto, none)"), r.errLines());
        for (String cmd : new String[] {"generate", "bench"}) {
            CliRun help = CliRun.run(cmd, "--help");
            assertEquals(0, help.exitCode());
            String text = help.out().replaceAll("\\s+", " ");
            assertTrue(text.contains("--kv-budget=SIZE") && text.contains("(default none)") && text.contains("512m"), help.out());
        }
    }

    @Test
    void anAbsurdModelConfigIsOneLineAndExitCode2() throws IOException {
        Path model = dir.resolve("m");
        try (Model tiny = ModelLoader.load("synthetic:tiny")) {
            ModelExporter.saveHuggingFace(tiny, model, DType.F32);
        }
        String json = Files.readString(model.resolve("config.json")).replaceFirst("\"num_hidden_layers\"\\s*:\\s*\\d+", "\"num_hidden_layers\": 2147483647");
        Files.writeString(model.resolve("config.json"), json);
        Path in = prompts("hello");
        CliRun r = CliRun.run("generate", "--model", model.toString(), "--input", in.toString(), "--output", dir.resolve("o.jsonl").toString());
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("config.json: num_hidden_layers 2147483647 is out of range"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
