package io.hydragen.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The build stamps of bin/hydragen and bin/hydragen-batch, for tests that run the scripts after Maven's package phase. */
public final class ScriptStamps {
    private ScriptStamps() {}

    /**
     * bin/hydragen and bin/hydragen-batch build on first use (a nested Maven run each, over a minute here) unless
     * their stamp is newer than the sources. In the integration-test phase this reactor has just packaged the classes
     * and target/lib they run from, so their stamps are set to now instead.
     */
    public static void markBuilt(Path root) throws IOException {
        for (String[] s : new String[][]{{"gpu-engine/target", ".hydragen-cli-built"}, {"examples/target", ".hydragen-batch-built"}}) {
            Path target = root.resolve(s[0]);
            if (Files.isDirectory(target.resolve("classes")) && Files.isDirectory(target.resolve("lib"))) {
                Path stamp = target.resolve(s[1]);
                if (!Files.exists(stamp)) Files.createFile(stamp);
                Files.setLastModifiedTime(stamp, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
            }
        }
    }
}
