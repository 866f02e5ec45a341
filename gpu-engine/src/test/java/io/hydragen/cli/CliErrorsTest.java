package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the user gets wrong becomes one line on stderr and exit code 2; help and version exit 0. */
class CliErrorsTest {
    @TempDir
    Path dir;

    private Path prompts() throws IOException {
        Path p = dir.resolve("p.jsonl");
        Files.writeString(p, "{\"prompt\": \"hello\"}\n");
        return p;
    }

    private static void assertOneLineError(CliRun r, String... fragments) {
        assertEquals(2, r.exitCode(), r.err());
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), "exactly one line, no stack trace:\n" + r.err());
        assertTrue(lines.get(0).startsWith("hydragen: error: "), lines.get(0));
        for (String f : fragments) assertTrue(lines.get(0).contains(f), "'" + f + "' in: " + lines.get(0));
        assertEquals("", r.out());
    }

    @Test
    void missingModelDirectoryNamesThePath() throws IOException {
        Path missing = dir.resolve("no-such-model");
        Path out = dir.resolve("out.jsonl");
        CliRun r = CliRun.run("generate", "--model", missing.toString(), "--input", prompts().toString(), "--output", out.toString());
        assertOneLineError(r, missing.toString());
        assertFalse(Files.exists(out), "no output file from a failed run");
        try (var files = Files.list(dir)) {
            assertEquals(List.of("p.jsonl"), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        }
    }

    @Test
    void brokenModelFileIsOneLine() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"gpt2\", \"architectures\": [\"GPT2LMHeadModel\"]}");
        CliRun r = CliRun.run("generate", "--model", model.toString(), "--input", prompts().toString(), "--output", dir.resolve("o").toString());
        assertOneLineError(r, model.toString());
    }

    @Test
    void unknownSyntheticModel() throws IOException {
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:nope", "--input", prompts().toString(), "--output", "-"),
                "synthetic:nope", "tiny");
    }

    @Test
    void missingInputFile() {
        Path in = dir.resolve("absent.jsonl");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", "-"),
                in.toString(), "no such file");
    }

    @Test
    void badArguments() throws IOException {
        String in = prompts().toString();
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--output", "-", "--top-p", "2"), "top_p");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--output", "-", "--n", "0"), "n must be");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--output", "-", "--attention", "fast"),
                "unknown attention mode 'fast'");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--output", "-", "--max-new-tokens", "many"),
                "--max-new-tokens");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--output", "-", "--frobnicate"),
                "--frobnicate");
        assertOneLineError(CliRun.run("generate", "--input", in, "--output", "-"), "--model");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--output", "-", "--backend", "tpu"),
                "unknown backend 'tpu'");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in,
                "--output", dir.resolve("missing-dir").resolve("o.jsonl").toString()), "no such directory");
        assertOneLineError(CliRun.run("frobnicate"), "frobnicate");
        assertOneLineError(CliRun.run(), "missing command: one of generate, score, bench, bench-attention, bench-score, bench-constraint");
        // a misspelt option is named with the nearest ones, even when it leaves a required option missing
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--output", "-", "--max-token", "3"),
                "unknown option '--max-token' (did you mean --max-new-tokens or --max-tokens?)");
        assertOneLineError(CliRun.run("generate", "--model", "synthetic:tiny", "--input", in, "--outptu", "o.jsonl"),
                "unknown option '--outptu' (did you mean --output");
    }

    @Test
    void debugShowsTheStackTrace() throws IOException {
        CliRun r = CliRun.run("generate", "--debug", "--model", dir.resolve("none").toString(), "--input", prompts().toString(), "--output", "-");
        assertEquals(2, r.exitCode());
        assertTrue(r.errLines().size() > 2, r.err());
        assertTrue(r.err().contains("at io.hydragen."), r.err());
    }

    @Test
    void helpAndVersion() {
        CliRun help = CliRun.run("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("generate") && help.out().contains("bench"), help.out());
        CliRun genHelp = CliRun.run("generate", "--help");
        assertEquals(0, genHelp.exitCode());
        assertTrue(genHelp.out().contains("--min-shared-tokens"), genHelp.out());
        CliRun version = CliRun.run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("hydragen "), version.out());
    }
}
