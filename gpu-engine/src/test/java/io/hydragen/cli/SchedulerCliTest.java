package io.hydragen.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** {@code generate --scheduler continuous} and {@code --output-order completion} give the lines of the static run. */
class SchedulerCliTest {
    private static final String STORY = "Once upon a time a small fox lived at the edge of a quiet forest. ";

    @TempDir
    Path dir;

    private Path input() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            ObjectNode n = CliRun.JSON.createObjectNode();
            n.put("id", "r" + i);
            n.put("prompt", (i % 3 == 0 ? "Unrelated text about rivers " : STORY) + "question " + i + "?" + " more".repeat(i % 4));
            lines.add(n.toString());
        }
        lines.add("{\"id\": \"broken\", \"prompt\": ");
        lines.add("{\"id\": \"none\"}");
        Path p = dir.resolve("in.jsonl");
        Files.write(p, lines);
        return p;
    }

    private List<String> run(Path in, String name, String... extra) throws IOException {
        Path out = dir.resolve(name);
        List<String> args = new ArrayList<>(List.of("generate", "--model", "synthetic:tiny", "--input", in.toString(),
                "--output", out.toString(), "--n", "2", "--temperature", "0.9", "--seed", "5", "--max-new-tokens", "10",
                "--stop-token-id", "101", "--stop-token-id", "111", "--batch-size", "4", "--threads", "1", "-q"));
        args.addAll(List.of(extra));
        CliRun r = CliRun.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        // shared_prompt_tokens describes the batching (which rows shared which prefix), not the sample: left out
        List<String> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out)) {
            ObjectNode n = (ObjectNode) CliRun.JSON.readTree(l);
            n.remove("shared_prompt_tokens");
            lines.add(n.toString());
        }
        return lines;
    }

    @Test
    void continuousAndCompletionOrderWriteTheLinesOfTheStaticRun() throws IOException {
        Path in = input();
        List<String> reference = run(in, "static.jsonl");
        assertEquals(32, reference.size());
        Set<String> lengths = new HashSet<>();
        for (String l : reference) lengths.add(CliRun.JSON.readTree(l).path("completion_token_ids").size() + "");
        assertTrue(lengths.size() > 1, "lengths vary: " + lengths);
        assertTrue(reference.equals(run(in, "continuous.jsonl", "--scheduler", "continuous")), "continuous, input order");
        assertTrue(reference.stream().sorted().toList().equals(
                run(in, "static-stream.jsonl", "--output-order", "completion").stream().sorted().toList()), "static, completion order");
        List<String> completion = run(in, "continuous-completion.jsonl", "--scheduler", "continuous", "--output-order", "completion");
        assertTrue(new HashSet<>(reference).equals(new HashSet<>(completion)), "continuous, completion order: the same lines");
        assertEquals(reference.size(), completion.size());
    }

    @Test
    void withoutTheFlagTheEnginesDefaultSchedulerRuns() {
        SchedulerOptions o = new SchedulerOptions();
        o.outputOrder = "input";
        assertEquals(io.hydragen.generate.Scheduler.DEFAULT, o.scheduler());
        assertEquals(io.hydragen.generate.Scheduler.DEFAULT != io.hydragen.generate.Scheduler.STATIC, o.streams(), "only static in input order writes at the end");
    }

    @Test
    void badValuesAreUsageErrors() throws IOException {
        Path in = input();
        CliRun r = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output",
                dir.resolve("o.jsonl").toString(), "--scheduler", "eager");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("--scheduler must be static or continuous"), r.err());
        r = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output",
                dir.resolve("o.jsonl").toString(), "--output-order", "random");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("--output-order must be input or completion"), r.err());
    }
}
