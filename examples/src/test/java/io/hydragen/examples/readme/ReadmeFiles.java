package io.hydragen.examples.readme;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repository's READMEs and scripts, found from the test's working directory (Surefire runs in the module's folder). */
final class ReadmeFiles {
    private ReadmeFiles() {}

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin/hydragen")) && Files.isRegularFile(p.resolve("README.md"))) return p;
        }
        throw new IllegalStateException("repository root (with bin/hydragen and README.md) not found above " + Path.of("").toAbsolutePath());
    }

    /** The commands of those READMEs that exist, in order. */
    static List<ReadmeCommands.Command> commands(Path repo, List<String> readmes) throws IOException {
        List<ReadmeCommands.Command> all = new ArrayList<>();
        for (String f : readmes) {
            Path p = repo.resolve(f);
            if (Files.isRegularFile(p)) all.addAll(ReadmeCommands.parse(f, Files.readString(p)));
        }
        return all;
    }
}
