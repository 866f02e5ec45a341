package io.hydragen.examples.notebooks;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the notebooks are: found from the test's working directory (Surefire runs in the module's folder). */
final class RepoPaths {
    private RepoPaths() {}

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin/hydragen")) && Files.isDirectory(p.resolve("examples/notebooks"))) return p;
        }
        throw new IllegalStateException("repository root (with bin/hydragen and examples/notebooks) not found above " + Path.of("").toAbsolutePath());
    }

    static Path notebooks() { return root().resolve("examples/notebooks"); }
}
