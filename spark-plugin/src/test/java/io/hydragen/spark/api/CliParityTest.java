package io.hydragen.spark.api;

import io.hydragen.seed.RowSeeds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.cli.Main;
import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.rand;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The Spark job and {@code bin/hydragen generate} complete the same prompt file the same way (sampled, each row's seed
 * derived from the run seed and its id by the one rule of {@link io.hydragen.seed.RowSeeds}), whatever the Spark
 * partitioning and row order.
 */
class CliParityTest {
    static SparkSession spark;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() { spark = TestSpark.shared(); }

    @Test
    void sparkEqualsTheCliOnTheSamePromptsAndSeed() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path prompts = tmp.resolve("prompts.jsonl");
        List<String> lines = new ArrayList<>();
        for (Row r : GenerateLocalTest.prompts()) {
            lines.add(json.writeValueAsString(Map.of("id", r.getString(0), "prompt", r.getString(1))));
        }
        lines.add(json.writeValueAsString(Map.of("id", "long", "prompt", "y".repeat(5000))));
        Files.write(prompts, lines);
        Path cliOut = tmp.resolve("cli.jsonl");
        String[] sampling = {"--max-new-tokens", "6", "--temperature", "0.9", "--top-k", "40", "--seed", "1234", "--min-shared-tokens", "4"};
        List<String> args = new ArrayList<>(List.of("generate", "--model", "synthetic:tiny", "--input", prompts.toString(),
                "--output", cliOut.toString(), "--backend", "cpu", "-q"));
        args.addAll(List.of(sampling));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), args.toArray(new String[0]));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        Map<String, String> cli = new TreeMap<>();
        Map<String, String> cliFinish = new TreeMap<>();
        for (String line : Files.readAllLines(cliOut)) {
            JsonNode n = json.readTree(line);
            cli.put(n.get("id").asText(), n.get("completion").asText());
            cliFinish.put(n.get("id").asText(), n.get("finish_reason").asText());
        }
        assertEquals(lines.size(), cli.size());

        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(6).temperature(0.9).topK(40).seed(1234)
                .minSharedTokens(4).idColumn("id").batchSize(5).backend("cpu").build();
        for (Dataset<Row> input : List.of(spark.read().json(prompts.toString()),
                spark.read().json(prompts.toString()).orderBy(rand(2)).repartition(4))) {
            Map<String, String> got = new TreeMap<>();
            Map<String, String> finish = new TreeMap<>();
            for (Row r : Hydragen.generate(input, o).select("id", "completion", "finish_reason").collectAsList()) {
                got.put(r.getString(0), r.isNullAt(1) ? "" : r.getString(1));
                finish.put(r.getString(0), r.getString(2));
            }
            assertEquals(cli, got);
            assertEquals(cliFinish, finish);
        }
        assertEquals("error", cliFinish.get("long"));
    }
}
