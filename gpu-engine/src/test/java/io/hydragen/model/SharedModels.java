package io.hydragen.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared/models (the reference checkpoints); tests that need it skip where it is absent. */
public final class SharedModels {
    private SharedModels() {}

    /** {@code hydragen.shared.dir}/models when that property is set (surefire sets it), else ../shared/models. */
    public static Path modelsDir() {
        String prop = System.getProperty("hydragen.shared.dir");
        if (prop != null && !prop.isBlank()) return Path.of(prop, "models");
        Path fromRoot = Path.of("..", "shared", "models");
        // tests launched from a module directory (IDE) sit one level deeper than the repository root
        return Files.isDirectory(fromRoot) ? fromRoot : Path.of("..", "..", "shared", "models");
    }

    /** The checkpoint directory, or a skipped test when the shared folder is absent. */
    public static Path require(String name) {
        Path dir = modelsDir().resolve(name);
        assumeTrue(Files.isRegularFile(dir.resolve("config.json")), "reference checkpoint " + dir + " not present");
        return dir;
    }
}
