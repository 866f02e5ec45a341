package io.hydragen.examples.notebooks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The plugin's shaded jar the quickstart notebook loads with {@code spark.jars}, if it has been built. */
final class PluginJar {
    private PluginJar() {}

    static List<Path> find(Path root) throws IOException {
        Path target = root.resolve("spark-plugin/target");
        if (!Files.isDirectory(target)) return List.of();
        try (Stream<Path> s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("hydragen-spark-.*-shaded\\.jar")).toList();
        }
    }
}
