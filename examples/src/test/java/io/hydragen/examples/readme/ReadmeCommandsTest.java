package io.hydragen.examples.readme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The README command checker itself ({@link ReadmeCommandsIT} runs the commands in {@code mvn verify}): how commands
 * and skip markers are read, that every repository README parses with runnable commands and a reason for each skip,
 * and that a failing command is reported as failed.
 */
class ReadmeCommandsTest {
    static final String MD = String.join("\n",
            "Text with `bin/hydragen` inline, not a command.",
            "```bash",
            "bin/hydragen-batch   # a trailing comment",
            "# a comment line",
            "bin/hydragen generate --model synthetic:tiny \\",
            "    --input 'a # not a comment' --output /tmp/x.jsonl",
            "",
            "# not run in CI: needs a GPU",
            "bin/hydragen bench-attention --backend cuda",
            "bin/hydragen bench   # not run in CI: minutes of CPU",
            "```",
            "```java",
            "Hydragen.generate(df, options);",
            "```",
            "```",
            "spark-submit --master yarn",
            "```");

    @Test
    void readsCommandsJoinedWithTheirSkipReasons() {
        List<ReadmeCommands.Command> c = ReadmeCommands.parse("X.md", MD);
        assertEquals(4, c.size(), c.toString());
        assertEquals(new ReadmeCommands.Command("X.md", 3, "bin/hydragen-batch   # a trailing comment", null), c.get(0));
        assertEquals("bin/hydragen generate --model synthetic:tiny      --input 'a # not a comment' --output /tmp/x.jsonl", c.get(1).text());
        assertEquals(5, c.get(1).line());
        assertTrue(c.get(1).runs());
        assertEquals("needs a GPU", c.get(2).skipReason());
        assertEquals("minutes of CPU", c.get(3).skipReason());
    }

    @Test
    void aMarkerWithoutAReasonOrAnUnclosedBlockIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ReadmeCommands.parse("X.md", "```bash\n# not run in CI:\nls\n```"));
        assertThrows(IllegalArgumentException.class, () -> ReadmeCommands.parse("X.md", "```bash\nls\n"));
        assertThrows(IllegalArgumentException.class, () -> ReadmeCommands.parse("X.md", "```bash\nls \\\n```"));
    }

    @Test
    void theRepositoryReadmesHaveCommandsCiRuns() throws Exception {
        List<ReadmeCommands.Command> all = ReadmeFiles.commands(ReadmeFiles.root(), ReadmeCommandsIT.READMES);
        assertTrue(all.stream().filter(ReadmeCommands.Command::runs).count() >= 5, "commands CI runs: " + all);
        assertTrue(all.stream().anyMatch(c -> c.file().equals("spark-plugin/README.md")), "spark-plugin/README.md's commands are read: " + all);
        for (ReadmeCommands.Command c : all) assertFalse(c.text().isBlank(), c.toString());
    }

    @Test
    void aFailingCommandIsReportedAndOutputsStayInTheSandbox(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")), "needs bash");
        CommandSandbox sandbox = new CommandSandbox(ReadmeFiles.root(), tmp.resolve("root"));
        CommandSandbox.Result bad = sandbox.run("ls examples/data/no-such-file.jsonl", 30);
        assertFalse(bad.ok());
        assertTrue(bad.outputTail().contains("no-such-file.jsonl"), bad.outputTail());

        CommandSandbox.Result good = sandbox.run("head -c 1 examples/data/fewshot_classification.jsonl > /tmp/first && cat /tmp/first", 30);
        assertTrue(good.ok(), good.outputTail());
        assertEquals("{", good.outputTail());
        assertTrue(Files.exists(tmp.resolve("root/tmp/first")), "/tmp/ is moved into the sandbox");
        assertEquals("x /tmp/y", sandbox.rewrite("x /tmp/y").replace(tmp.resolve("root") + "/tmp/", "/tmp/"));
        assertEquals("a/tmp/b", sandbox.rewrite("a/tmp/b"), "only absolute /tmp/ paths move");
    }
}
