package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.generate.GenerationDefaults;
import io.hydragen.model.ChatModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sampling settings left unset come from the model's generation_config.json (../shared/models/tiny-llama-sp with
 * one written at test time); the user's values win; {@code --generation-config ignore} turns it off.
 */
class GenerationConfigCliTest {
    @TempDir
    static Path tmp;

    static List<String> completions(Path model, Path in, String... extra) throws Exception {
        Path out = tmp.resolve("out.jsonl");
        List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString(), "--input", in.toString(),
                "--output", out.toString(), "--backend", "cpu", "--ignore-eos", "--seed", "7", "-q"));
        args.addAll(List.of(extra));
        CliRun run = CliRun.run(args.toArray(new String[0]));
        assertEquals(0, run.exitCode(), run.err());
        List<String> c = new ArrayList<>();
        for (JsonNode r : CliRun.jsonLines(out)) c.add(r.get("completion_tokens").asInt() + ":" + r.get("completion_token_ids"));
        return c;
    }

    @Test
    void unsetSettingsComeFromTheModelAndTheUsersWin() throws Exception {
        Path model = ChatModels.withFile(tmp, "tiny-llama-sp", "gen-config", "generation_config.json",
                "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"do_sample\": true, \"temperature\": 1.3, \"top_k\": 7, "
                        + "\"top_p\": 0.9, \"max_new_tokens\": 5, \"max_length\": 4}");
        assertEquals(new GenerationDefaults(5, 1.3, 7, 0.9), GenerationDefaults.of(model.toString()));
        Path in = Files.writeString(tmp.resolve("in.jsonl"), "{\"prompt\": \"Once upon a time\"}\n{\"prompt\": \"The cat\"}\n");
        List<String> fromModel = completions(model, in);
        assertTrue(fromModel.get(0).startsWith("5:"), fromModel.toString());
        assertEquals(completions(model, in, "--temperature", "1.3", "--top-k", "7", "--top-p", "0.9", "--max-new-tokens", "5",
                "--generation-config", "ignore"), fromModel);
        // the user's values win over the model's
        List<String> user = completions(model, in, "--max-new-tokens", "3", "--temperature", "0");
        List<String> greedy = completions(model, in, "--generation-config", "ignore", "--max-new-tokens", "3");
        assertEquals(greedy, user);
        assertTrue(user.get(0).startsWith("3:"), user.toString());
        // ignore: built-in defaults (16 tokens, greedy)
        List<String> ignored = completions(model, in, "--generation-config", "ignore");
        assertTrue(ignored.get(0).startsWith("16:"), ignored.toString());
        assertNotEquals(fromModel.get(0), ignored.get(0).substring(0, fromModel.get(0).length()));
        CliRun bad = CliRun.run("generate", "--model", model.toString(), "--input", in.toString(), "--output", "-",
                "--generation-config", "vllm");
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("--generation-config must be auto or ignore"), bad.err());
    }
}
