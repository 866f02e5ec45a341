package io.hydragen.examples.readme;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs README commands as written, with {@code bash}, in a scratch directory that looks like the repository root:
 * {@code bin/*} are symlinks to the repository's scripts (which find the repository through them) and the repository's
 * other top-level entries are symlinked as they are, so {@code bin/hydragen ... --input examples/data/x.jsonl} reads
 * the bundled data while relative outputs ({@code --json bench.json}) land in the scratch directory. Absolute
 * {@code /tmp/} paths in a command are moved under the scratch directory too, so CI never writes outside it and a
 * second run does not meet the first one's output.
 */
public final class CommandSandbox {
    /** What a command did. */
    public record Result(int exitCode, boolean timedOut, String outputTail, Path log) {
        public boolean ok() { return !timedOut && exitCode == 0; }
    }

    private final Path repo;
    private final Path dir;
    private int runs;

    public CommandSandbox(Path repo, Path dir) throws IOException {
        this.repo = repo;
        this.dir = dir;
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("tmp"));
        try (Stream<Path> scripts = Files.list(repo.resolve("bin"))) {
            for (Path s : scripts.toList()) Files.createSymbolicLink(dir.resolve("bin").resolve(s.getFileName()), s);
        }
        try (Stream<Path> top = Files.list(repo)) {
            for (Path p : top.toList()) {
                String name = p.getFileName().toString();
                if (name.equals("bin") || name.equals("tmp") || name.startsWith(".")) continue;
                Files.createSymbolicLink(dir.resolve(name), p);
            }
        }
    }

    /** The command as this sandbox runs it: absolute {@code /tmp/} paths moved into the sandbox. */
    public String rewrite(String command) {
        return command.replaceAll("(?<![\\w./-])/tmp/", dir.resolve("tmp") + "/");
    }

    /** Runs one command with {@code bash -c}, its stdout and stderr to a log file; kills it after the timeout. */
    public Result run(String command, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = dir.resolve("command-" + (++runs) + ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", rewrite(command)).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().put("NO_COLOR", "1");
        Process p = pb.start();
        boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        return new Result(finished ? p.exitValue() : -1, !finished, tail(log, 40), log);
    }

    public Path dir() { return dir; }

    public Path repo() { return repo; }

    private static String tail(Path log, int lines) throws IOException {
        List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
