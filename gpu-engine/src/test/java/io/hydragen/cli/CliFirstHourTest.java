package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.seed.RowSeeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** What a first-time user of {@code bin/hydragen generate} expects: seeds, every field in every line, input carried through, names. */
class CliFirstHourTest {
    @TempDir
    Path dir;

    static final String PROMPT = "Write a one-line slogan for a bicycle repair shop:";
    static final String[] SAMPLING = {"--model", "synthetic:tiny", "--temperature", "0.8", "--max-tokens", "6",
            "--ignore-eos", "--threads", "1", "-q"};

    List<JsonNode> generate(Path in, String name, String... extra) throws IOException {
        Path out = dir.resolve(name);
        List<String> args = new ArrayList<>(List.of("generate", "--input", in.toString(), "--output", out.toString()));
        args.addAll(List.of(SAMPLING));
        args.addAll(List.of(extra));
        CliRun r = CliRun.run(args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.err());
        return CliRun.jsonLines(out);
    }

    static Set<String> completions(List<JsonNode> rows) {
        Set<String> s = new HashSet<>();
        for (JsonNode r : rows) s.add(r.get("completion_token_ids").toString());
        return s;
    }

    @Test
    void identicalPromptsGetDifferentSamplesAndARunSeedReproducesTheRun() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) lines.add("{\"prompt\": \"" + PROMPT + "\"}");
        Path in = Files.write(dir.resolve("six.jsonl"), lines);

        List<JsonNode> fresh = generate(in, "fresh.jsonl");
        assertTrue(completions(fresh).size() > 1, "six identical prompts, six fresh seeds: " + completions(fresh));
        for (JsonNode r : fresh) assertTrue(r.get("seed").isIntegralNumber(), r.toString());

        List<JsonNode> a = generate(in, "a.jsonl", "--seed", "5"), b = generate(in, "b.jsonl", "--seed", "5");
        assertEquals(a, b, "a run seed reproduces the run");
        assertTrue(completions(a).size() > 1, "with a run seed, identical prompts still differ");
        for (int i = 0; i < 6; i++) assertEquals(RowSeeds.forPrompt(5, PROMPT, i), a.get(i).get("seed").asLong());

        // any row can be reproduced from its recorded seed
        JsonNode row = fresh.get(3);
        Path again = Files.write(dir.resolve("again.jsonl"), List.of("{\"prompt\": \"" + PROMPT + "\", \"seed\": " + row.get("seed").asLong() + "}"));
        assertEquals(row.get("completion_token_ids"), generate(again, "again-out.jsonl").get(0).get("completion_token_ids"));

        // an id makes the seed independent of the line's position
        Path withIds = Files.write(dir.resolve("ids.jsonl"), List.of("{\"id\": \"x\", \"prompt\": \"" + PROMPT + "\"}"));
        assertEquals(RowSeeds.forId(5, "x"), generate(withIds, "ids-out.jsonl", "--seed", "5").get(0).get("seed").asLong());
    }

    @Test
    void everyFieldInEveryLineAndInputFieldsCarriedThrough() throws IOException {
        Path in = Files.write(dir.resolve("mixed.jsonl"), List.of(
                "{\"id\": \"a\", \"prompt\": \"" + PROMPT + "\", \"lang\": \"en\", \"meta\": {\"k\": 1}}",
                "{\"id\": \"b\", \"prompt\": ",
                "{\"id\": \"c\", \"prompt\": \"" + PROMPT + "\", \"completion\": \"overwritten\"}"));
        List<JsonNode> rows = generate(in, "mixed-out.jsonl", "--seed", "1");
        assertEquals(3, rows.size());
        List<String> fields = List.of("id", "sample_index", "seed", "prompt_token_ids", "completion", "completion_token_ids",
                "finish_reason", "error", "prompt_tokens", "completion_tokens", "shared_prompt_tokens");
        for (JsonNode r : rows) for (String f : fields) assertTrue(r.has(f), f + " missing in " + r);
        assertEquals("en", rows.get(0).get("lang").asText());
        assertEquals(1, rows.get(0).get("meta").get("k").asInt());
        assertEquals(PROMPT, rows.get(0).get("prompt").asText(), "the input's prompt is carried too");
        assertEquals("error", rows.get(1).get("finish_reason").asText());
        assertTrue(rows.get(1).get("error").asText().contains("line 2 is not valid JSON"), rows.get(1).toString());
        assertTrue(rows.get(1).get("seed").isNull());
        assertNotEquals("overwritten", rows.get(2).get("completion").asText(), "an output field wins over an input field");
    }

    @Test
    void everyOptionHasADescriptionAndMaxTokensIsAnAlias() {
        CommandLine cmd = new CommandLine(new Main());
        cmd.addSubcommand(new GenerateCommand(Console.system()));
        cmd.addSubcommand(new BenchCommand(Console.system()));
        cmd.addSubcommand(new BenchAttentionCommand(Console.system()));
        List<CommandLine> all = new ArrayList<>(List.of(cmd));
        all.addAll(cmd.getSubcommands().values());
        for (CommandLine c : all) {
            for (CommandLine.Model.OptionSpec o : c.getCommandSpec().options()) {
                assertTrue(o.description().length > 0 && !String.join(" ", o.description()).isBlank(),
                        c.getCommandName() + " " + o.longestName() + " has no description");
                if (o.defaultValue() != null) {
                    assertTrue(String.join(" ", o.description()).contains("default"), c.getCommandName() + " " + o.longestName() + " hides its default");
                }
            }
        }
        assertNotNull(cmd.getSubcommands().get("generate").getCommandSpec().findOption("--max-tokens"));
        CliRun help = CliRun.run("generate", "--help");
        assertEquals(0, help.exitCode());
        assertFalse(help.out().contains("\u001b["), "no colour escapes when not on a terminal");
        assertTrue(help.out().contains("--max-new-tokens, --max-tokens") || help.out().contains("--max-tokens, --max-new-tokens"), help.out());
        CliRun v = CliRun.run("--version");
        assertEquals(0, v.exitCode());
        assertTrue(v.out().startsWith("hydragen "), v.out());
        CliRun gv = CliRun.run("generate", "--version");
        assertTrue(gv.exitCode() == 0 && gv.out().startsWith("hydragen "), gv.out() + gv.err());
    }
}
