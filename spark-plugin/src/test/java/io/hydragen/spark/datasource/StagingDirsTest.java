package io.hydragen.spark.datasource;

import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Staging for the DataSource: private (0700 / 0600), one directory per query, removed once the query is gone. */
class StagingDirsTest {
    static SparkSession spark;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() { spark = TestSpark.shared(); }

    static Dataset<Row> table() {
        return spark.createDataFrame(HydragenDataSourceTest.rows(), HydragenDataSourceTest.SCHEMA).repartition(3);
    }

    static Dataset<Row> read(String parquet, Path root) {
        return spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "2")
                .option("backend", "cpu").option("staging_dir", root.toString()).load(parquet);
    }

    static List<Path> children(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    static String mode(Path p) throws Exception { return PosixFilePermissions.toString(Files.getPosixFilePermissions(p)); }

    @Test
    void privateDirectoryPerQueryRemovedWhenTheQueryIsGone() throws Exception {
        String parquet = tmp.resolve("prompts_parquet").toString();
        table().write().parquet(parquet);
        Path root = tmp.resolve("staging-root");

        Dataset<Row> first = read(parquet, root);
        assertEquals(15, first.collectAsList().size());
        List<Path> dirs = children(root);
        assertEquals(1, dirs.size(), dirs.toString());
        Path dir = dirs.get(0);
        assertEquals("rwx------", mode(root), "a root it creates is private too");
        assertEquals("rwx------", mode(dir));
        assertTrue(dir.getFileName().toString().startsWith(spark.sparkContext().applicationId() + "-"), dir.toString());
        List<Path> files = children(dir).stream().filter(p -> !p.getFileName().toString().endsWith(".crc")).toList();
        assertFalse(files.isEmpty());
        for (Path f : children(dir)) assertEquals("rw-------", mode(f), f.toString());

        // the same plan may run again: its files are still there
        assertEquals(15, first.collectAsList().size());
        assertTrue(Files.isDirectory(dir), "the first query's staging is kept while its plan can run again");
        // another query stages into a directory of its own (Spark may also plan a query again, staging it anew, so
        // the count is at least two, not exactly two)
        Dataset<Row> second = read(parquet, root);
        assertEquals(15, second.collectAsList().size());
        // A re-planned scan of either query may be collected (and its directory removed) at any moment, so compare
        // the live set read first with the directories read after: a directory leaves the live set only once it is
        // gone from disk, hence whatever is still on disk must have been live before.
        Set<String> live = StagingDirs.live(spark.sparkContext().applicationId());
        List<Path> after = children(root);
        assertTrue(after.contains(dir) && after.size() >= 2, after.toString());
        for (Path d : after) assertEquals("rwx------", mode(d), d.toString());
        for (Path d : after) {
            assertTrue(live.stream().anyMatch(l -> l.endsWith("/" + d.getFileName())),
                    "every staging directory is tracked for removal: " + d + " not in " + live);
        }

        first = null;
        second = null;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!children(root).isEmpty() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(100);
        }
        assertEquals(List.of(), children(root), "removed once no plan can read them");
        assertTrue(StagingDirs.live(spark.sparkContext().applicationId()).stream().noneMatch(d -> d.contains("staging-root")));
    }

    @Test
    void refusesARootOthersCouldRearrange() throws Exception {
        String parquet = tmp.resolve("refuse_parquet").toString();
        table().write().parquet(parquet);
        Path open = Files.createDirectories(tmp.resolve("open-root"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Exception e = assertThrows(Exception.class, () -> read(parquet, open).collectAsList());
        Throwable t = e;
        while (t.getCause() != null && !t.getMessage().contains("writable by others")) t = t.getCause();
        assertTrue(t.getMessage().contains("writable by others"), e.toString());
        assertEquals(Set.of(), Set.copyOf(children(open)));
    }
}
