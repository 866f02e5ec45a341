package io.hydragen.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared/models (the reference checkpoints); tests that need it skip where it is absent. */
public final class SharedModels {
    private SharedModels() {}

    public static Path modelsDir() {
        String prop = System.getProperty("hydragen.shared.dir");
        Path shared = prop != null ? Path.of(prop) : Path.of("..", "shared");
        Path models = shared.resolve("models");
        if (!Files.isDirectory(models)) models = Path.of("..", "..", "shared", "models"); // run from a module dir
        return models;
    }

    /** The checkpoint directory, or a skipped test when the shared folder is absent. */
    public static Path require(String name) {
        Path dir = modelsDir().resolve(name);
        assumeTrue(Files.isRegularFile(dir.resolve("config.json")), "reference checkpoint " + dir + " not present");
        return dir;
    }
}
