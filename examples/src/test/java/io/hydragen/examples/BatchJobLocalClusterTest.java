package io.hydragen.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The batch job with {@code --master local-cluster[2,1,1024]} (what {@code bin/hydragen-batch --master
 * 'local-cluster[2,1,1024]'} runs): two forked executor JVMs get the job's class path and JVM flags from the job, and
 * write the same rows as a local run. SPARK_HOME (set by the build, as bin/hydragen-batch sets it) is an empty stub.
 */
class BatchJobLocalClusterTest {
    @TempDir
    static Path tmp;
    static String data;

    @BeforeAll
    static void sparkHome() throws IOException {
        data = System.getProperty(BatchJob.DATA_DIR_PROPERTY, "data");
        String home = System.getenv("SPARK_HOME");
        assumeTrue(home != null, "SPARK_HOME is set by the build (examples/pom.xml) or bin/hydragen-batch");
        Files.createDirectories(Path.of(home, "jars"));
        Files.createDirectories(Path.of(home, "launcher/target/scala-2.13"));
    }

    @AfterAll
    static void cleanup() {
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    @Test
    void runsOnTwoExecutorJvmsWithTheRowsOfALocalRun() {
        String[] common = {"--input", data + "/fewshot_classification.jsonl", "--format", "jsonl", "--max-new-tokens", "3",
                "--ignore-eos", "--temperature", "0.8", "--seed", "3", "--batch-size", "4", "--partitions", "2"};
        Path cluster = tmp.resolve("local-cluster");
        String summary = BatchJobTest.run(concat(new String[]{"--master", "local-cluster[2,1,1024]", "--output", cluster.toString()}, common));
        assertTrue(summary.contains("rows: 20 (0 errors)"), summary);
        assertTrue(summary.contains("generated tokens: 60 "), summary);
        Path local = tmp.resolve("local");
        BatchJobTest.run(concat(new String[]{"--master", "local[2]", "--output", local.toString()}, common));

        Map<String, String> fromCluster = completions(cluster);
        assertEquals(20, fromCluster.size());
        fromCluster.values().forEach(c -> assertNotNull(c, "every row answered: " + fromCluster));
        assertEquals(completions(local), fromCluster);
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** id -> completion of a jsonl output directory; each id once. */
    static Map<String, String> completions(Path dir) {
        ObjectMapper json = new ObjectMapper();
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".json")).toList()) {
                for (String line : Files.readAllLines(p)) {
                    JsonNode row = json.readTree(line);
                    JsonNode c = row.get("completion");
                    assertFalse(m.containsKey(row.get("id").asText()), "row " + row.get("id") + " written twice");
                    m.put(row.get("id").asText(), c == null || c.isNull() ? null : c.asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}
