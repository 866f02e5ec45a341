package io.hydragen.examples.readme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs every command of the READMEs' {@code ```bash} blocks as written ({@link ReadmeCommands}; those marked
 * {@code # not run in CI: REASON} are listed, not run) in a scratch copy of the repository root
 * ({@link CommandSandbox}), and fails naming each command that exits non-zero or overruns, with the end of its
 * output. Part of {@code mvn verify}: it runs in the integration-test phase, after this reactor packaged the classes
 * and libraries that {@code bin/hydragen} and {@code bin/hydragen-batch} run from. Skipped where {@code bash} cannot
 * run the scripts (no bash, or not a Unix file system for the symlinks).
 */
class ReadmeCommandsIT {
    /** The READMEs whose commands a new user would type. */
    static final List<String> READMES = List.of("README.md", "spark-plugin/README.md", "examples/README.md");
    /** Per command; the whole set takes about four minutes on two busy cores (one to two idle). */
    static final long TIMEOUT_SECONDS = 300;

    @Test
    void everyReadmeCommandRunsAsWritten(@TempDir Path tmp) throws Exception {
        assumeTrue(bashWorks(), "bash is needed to run the READMEs' commands");
        Path repo = ReadmeFiles.root();
        if (Boolean.getBoolean("hydragen.readme.afterPackage")) io.hydragen.examples.ScriptStamps.markBuilt(repo);
        CommandSandbox sandbox = new CommandSandbox(repo, tmp.resolve("root"));
        List<String> failures = new ArrayList<>();
        int ran = 0;
        // -Dhydragen.readme.only=REGEX runs only the commands whose "FILE:LINE: TEXT" it finds (checking one README edit)
        java.util.regex.Pattern only = java.util.regex.Pattern.compile(System.getProperty("hydragen.readme.only", ""));
        for (ReadmeCommands.Command c : ReadmeFiles.commands(repo, READMES)) {
            if (!only.matcher(c.toString()).find()) continue;
            if (!c.runs()) {
                System.out.println("readme-commands: skipped " + c + "  (" + c.skipReason() + ")");
                continue;
            }
            long t0 = System.nanoTime();
            CommandSandbox.Result r = sandbox.run(c.text(), TIMEOUT_SECONDS);
            ran++;
            System.out.printf("readme-commands: %s in %.0f s: %s%n", r.ok() ? "ok" : "FAILED", (System.nanoTime() - t0) / 1e9, c);
            if (!r.ok()) {
                failures.add(c + "\n  " + (r.timedOut() ? "did not finish in " + TIMEOUT_SECONDS + " s" : "exit status " + r.exitCode())
                        + "; its output ends:\n" + r.outputTail().indent(4));
            }
        }
        assertTrue(ran > 0, "no README command ran");
        assertTrue(failures.isEmpty(), failures.size() + " README command(s) failed:\n" + String.join("\n", failures));
    }

    private static boolean bashWorks() {
        try {
            Process p = new ProcessBuilder("bash", "-c", "ln -s /dev/null \"${TMPDIR:-/tmp}/.readme-check-$$\" && rm \"${TMPDIR:-/tmp}/.readme-check-$$\"")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
