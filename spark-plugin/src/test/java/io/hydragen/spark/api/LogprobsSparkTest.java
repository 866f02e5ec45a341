package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.cli.Main;
import io.hydragen.spark.SharedCheckpoints;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Log-probability columns (issue #10) on a reference checkpoint: the DataFrame API, SQL and the DataSource give the
 * numbers {@code bin/hydragen generate --logprobs --prompt-logprobs} writes for the same prompts and seed (the engine's
 * values against transformers are checked in gpu-engine's LogprobsReferenceTest), the columns appear only when asked
 * for, and a {@code logprobs_column} sets k per row.
 */
class LogprobsSparkTest {
    static SparkSession spark;
    static String model;
    static Path prompts;
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        spark = TestSpark.shared();
        model = SharedCheckpoints.require("tiny-llama-bpe");
        prompts = tmp.resolve("prompts.jsonl");
        List<String> lines = new ArrayList<>();
        String shared = "Once upon a time, in a small village by the sea, there lived an old fisherman who ";
        for (int i = 0; i < 5; i++) lines.add(JSON.writeValueAsString(Map.of("id", "q" + i, "prompt", shared + "asked question " + i, "k", i % 3)));
        lines.add(JSON.writeValueAsString(Map.of("id", "q5", "prompt", "Another story begins")));
        Files.write(prompts, lines);
    }

    /** id → the CLI's output line. */
    static Map<String, JsonNode> cli() throws Exception {
        Path out = tmp.resolve("cli.jsonl");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), "generate", "--model", model, "--input", prompts.toString(),
                "--output", out.toString(), "--backend", "cpu", "-q", "--max-new-tokens", "5", "--temperature", "0.8",
                "--seed", "7", "--logprobs", "2", "--prompt-logprobs", "1");
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        Map<String, JsonNode> m = new HashMap<>();
        for (String line : Files.readAllLines(out)) m.put(JSON.readTree(line).get("id").asText(), JSON.readTree(line));
        return m;
    }

    static GenerateOptions.Builder options() {
        return GenerateOptions.builder(model).backend("cpu").idColumn("id").maxNewTokens(5).temperature(0.8).seed(7);
    }

    /** A logprobs column's value against the CLI's entries: ids, texts, and log-probabilities to float precision. */
    static void assertEntries(JsonNode expected, List<Row> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < actual.size(); i++) {
            JsonNode e = expected.get(i);
            Row a = actual.get(i);
            if (e.isNull()) {
                assertNull(a, what + " entry " + i);
                continue;
            }
            assertEquals(e.get("id").asInt(), a.getInt(0), what);
            assertEquals(e.get("token").asText(), a.getString(1), what);
            assertEquals((float) e.get("logprob").asDouble(), a.getFloat(2), what);
            List<Row> top = a.getList(3);
            assertEquals(e.get("top").size(), top.size(), what);
            for (int j = 0; j < top.size(); j++) {
                assertEquals(e.get("top").get(j).get("id").asInt(), top.get(j).getInt(0), what);
                assertEquals((float) e.get("top").get(j).get("logprob").asDouble(), top.get(j).getFloat(2), what);
            }
        }
    }

    static void assertLikeTheCli(Dataset<Row> out, Map<String, JsonNode> cli) {
        List<Row> rows = out.select("id", "completion", "logprobs", "cumulative_logprob", "prompt_logprobs").collectAsList();
        assertEquals(cli.size(), rows.size());
        for (Row r : rows) {
            JsonNode c = cli.get(r.getString(0));
            assertEquals(c.get("completion").asText(), r.getString(1));
            assertEntries(c.get("logprobs"), r.getList(2), r.getString(0) + " logprobs");
            assertEquals(c.get("cumulative_logprob").asDouble(), r.getDouble(3), 1e-9);
            assertEntries(c.get("prompt_logprobs"), r.getList(4), r.getString(0) + " prompt_logprobs");
            assertNull(r.getList(4).get(0), "nothing predicts the first prompt token");
        }
    }

    @Test
    void everyEntryPointGivesTheClisNumbers() throws Exception {
        Map<String, JsonNode> cli = cli();
        Dataset<Row> input = spark.read().json(prompts.toString()).repartition(2);
        Dataset<Row> api = Hydragen.generate(input, options().logprobs(2).promptLogprobs(1).build());
        assertEquals(LogprobColumns.TOKENS, api.schema().apply("logprobs").dataType());
        assertLikeTheCli(api, cli);
        input.createOrReplaceTempView("logprob_prompts");
        assertLikeTheCli(spark.sql("SELECT * FROM hydragen_generate(TABLE(logprob_prompts), map('model', '" + model + "', "
                + "'backend', 'cpu', 'id_column', 'id', 'max_new_tokens', '5', 'temperature', '0.8', 'seed', '7', "
                + "'logprobs', '2', 'prompt_logprobs', '1'))"), cli);
        assertLikeTheCli(spark.read().format("hydragen").option("model", model).option("backend", "cpu").option("id_column", "id")
                .option("max_new_tokens", "5").option("temperature", "0.8").option("seed", "7").option("logprobs", "2")
                .option("prompt_logprobs", "1").load(prompts.toString()), cli);
    }

    @Test
    void columnsOnlyWhenAskedForAndKPerRow() {
        Dataset<Row> input = spark.read().json(prompts.toString());
        List<String> plain = List.of(Hydragen.generate(input, options().build()).columns());
        assertFalse(plain.contains("logprobs") || plain.contains("cumulative_logprob") || plain.contains("prompt_logprobs"), plain.toString());
        Dataset<Row> perRow = Hydragen.generate(input, options().settingColumn(RowSetting.LOGPROBS, "k").build());
        assertFalse(List.of(perRow.columns()).contains("prompt_logprobs"));
        for (Row r : perRow.select(col("id"), col("k"), col("logprobs"), col("cumulative_logprob"), col("completion_tokens")).collectAsList()) {
            if (r.isNullAt(1)) {
                assertTrue(r.isNullAt(2) && r.isNullAt(3), "a null k: no log-probabilities for " + r.getString(0));
                continue;
            }
            List<Row> entries = r.getList(2);
            assertEquals(r.getInt(4), entries.size());
            double sum = 0;
            for (Row e : entries) {
                assertEquals(r.getLong(1), e.getList(3).size(), "k alternatives for " + r.getString(0));
                sum += e.getFloat(2);
            }
            assertEquals(sum, r.getDouble(3), 1e-4);
        }
    }
}
