package io.hydragen.examples.readme;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The first-use build of bin/hydragen and bin/hydragen-batch, as a new user's log shows it: Maven's escape codes
 * (it writes ESC[0m resets even in batch mode with {@code style.color=never}) are stripped when stderr is not a
 * terminal. Each script runs from a scratch root of its own (so the repository's build stamps are never touched)
 * with a stand-in {@code mvn} on the PATH that prints what Maven prints.
 */
class ScriptBuildOutputTest {
    @ParameterizedTest
    @ValueSource(strings = {"hydragen", "hydragen-batch"})
    void theFirstBuildLogHasNoEscapeCodes(String script, @TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")), "needs bash");
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("bin"));
        Files.copy(ReadmeFiles.root().resolve("bin").resolve(script), root.resolve("bin").resolve(script));
        Path fakeBin = Files.createDirectories(tmp.resolve("fake-bin"));
        Path mvn = fakeBin.resolve("mvn");
        Files.writeString(mvn, "#!/usr/bin/env bash\nprintf '\\033[0m\\033[0m[hydragen-kernels] built\\n'\nexit 0\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));

        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("bin").resolve(script).toString(), "--version")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().put("PATH", fakeBin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out.contains("[hydragen-kernels] built"), "the build's output is shown: " + out);
        assertFalse(out.contains("\u001b"), "no escape codes in a log: " + out.replace("\u001b", "ESC"));
    }
}
