package io.hydragen.spark;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The reference checkpoints of ../shared/models for Spark tests; a test that needs one is skipped where it is absent. */
public final class SharedCheckpoints {
    private SharedCheckpoints() {}

    /** The checkpoint's absolute directory ({@code hydragen.shared.dir}/models, set by surefire, else ../../shared/models). */
    public static String require(String name) {
        String prop = System.getProperty("hydragen.shared.dir");
        Path models = prop != null && !prop.isBlank() ? Path.of(prop, "models") : Path.of("..", "..", "shared", "models");
        Path dir = models.resolve(name).toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(dir.resolve("config.json")), "reference checkpoint " + dir + " not present");
        return dir.toString();
    }
}
