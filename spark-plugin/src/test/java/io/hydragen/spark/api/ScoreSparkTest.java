package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.cli.Main;
import io.hydragen.spark.SharedCheckpoints;
import io.hydragen.spark.TestSpark;
import io.hydragen.spark.plugin.HydragenConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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

import static org.junit.jupiter.api.Assertions.*;

/**
 * Scoring from Spark (issue #10): {@code Hydragen.score}, the SQL scalars {@code hydragen_score} and
 * {@code hydragen_classify} give the numbers {@code bin/hydragen score} writes for the same prompts and candidates
 * (gpu-engine's scoring tests check those against transformers), and a row that cannot be scored is only its own error.
 */
class ScoreSparkTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The CPU dtypes of both sides: {@code spark.hydragen.cpuDtype} and {@code spark.hydragen.kvCacheDtype} when the JVM
     * is given them as -D properties (SparkConf reads every spark.* system property, so the executors' engines take them
     * too), else auto (bf16 weights and KV on the bf16 checkpoint where the kernel runs). With
     * -Dspark.hydragen.kvCacheDtype=fp32, bf16 weights run over an fp32 KV cache.
     */
    static final String CPU_DTYPE = System.getProperty(HydragenConf.CPU_DTYPE.key(), "auto");
    static final String KV_CACHE_DTYPE = System.getProperty(HydragenConf.KV_CACHE_DTYPE.key(), "auto");
    @TempDir
    static Path tmp;

    @Test
    void everyEntryPointGivesTheClisScores() throws Exception {
        SparkSession spark = TestSpark.shared();
        String model = SharedCheckpoints.require("tiny-llama-bpe");
        Path input = tmp.resolve("questions.jsonl");
        String fewShot = "Q: What colour is the sky? A: blue\nQ: What colour is grass? A: green\n";
        List<String> lines = new ArrayList<>();
        String[] questions = {"What colour is snow?", "What colour is coal?", "What colour is blood?", "What colour are lemons?"};
        for (int i = 0; i < questions.length; i++) {
            lines.add(JSON.writeValueAsString(Map.of("id", "q" + i, "prompt", fewShot + "Q: " + questions[i] + " A:",
                    "candidates", List.of(" white", " black", " red", " yellow"))));
        }
        lines.add(JSON.writeValueAsString(Map.of("id", "empty", "prompt", fewShot + "Q: ? A:", "candidates", List.of())));
        Files.write(input, lines);

        Path out = tmp.resolve("scores.jsonl");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), "score", "--model", model, "--input", input.toString(),
                "--output", out.toString(), "--backend", "cpu", "--cpu-dtype", CPU_DTYPE, "--kv-cache-dtype", KV_CACHE_DTYPE, "-q");
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        Map<String, JsonNode> cli = new HashMap<>();
        for (String line : Files.readAllLines(out)) cli.put(JSON.readTree(line).get("id").asText(), JSON.readTree(line));

        Dataset<Row> table = spark.read().json(input.toString());
        List<Row> scored = Hydragen.score(table.repartition(2), GenerateOptions.builder(model).backend("cpu").build())
                .select("id", "scores", "best", "error").collectAsList();
        assertEquals(lines.size(), scored.size());
        for (Row r : scored) {
            JsonNode c = cli.get(r.getString(0));
            if (r.getString(0).equals("empty")) {
                assertNotNull(r.getString(3));
                assertNotNull(c.get("error"));
                assertTrue(r.isNullAt(1));
                continue;
            }
            assertNull(r.getString(3));
            assertEquals(c.get("best").asText(), r.getString(2));
            assertScores(c.get("scores"), r.getList(1), r.getString(0));
        }

        table.createOrReplaceTempView("questions");
        List<Row> sql = spark.sql("SELECT id, hydragen_score(prompt, candidates, map('model', '" + model + "', 'backend', 'cpu')) AS s, "
                + "hydragen_classify(prompt, candidates, 'model', '" + model + "', 'backend', 'cpu') AS label FROM questions").collectAsList();
        for (Row r : sql) {
            JsonNode c = cli.get(r.getString(0));
            if (r.getString(0).equals("empty")) {
                assertTrue(r.isNullAt(1) && r.isNullAt(2), "no candidates: NULL");
                continue;
            }
            assertEquals(c.get("best").asText(), r.getStruct(1).getString(1));
            assertEquals(c.get("best").asText(), r.getString(2));
            assertScores(c.get("scores"), r.getStruct(1).getList(0), r.getString(0));
        }
    }

    @Test
    void conversationsAreScoredAsTheCliScoresThem() throws Exception {
        SparkSession spark = TestSpark.shared();
        String model = SharedCheckpoints.require("tiny-llama-bpe");
        Path template = Files.writeString(tmp.resolve("chat.jinja"),
                "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}");
        Path input = tmp.resolve("chat-questions.jsonl");
        List<String> lines = new ArrayList<>();
        String[] questions = {"What colour is snow?", "What colour is coal?", "What colour is blood?"};
        for (int i = 0; i < questions.length; i++) {
            lines.add(JSON.writeValueAsString(Map.of("id", "c" + i, "candidates", List.of("white", "black", "red"), "messages", List.of(
                    Map.of("role", "system", "content", "Answer with one colour."), Map.of("role", "user", "content", questions[i])))));
        }
        Files.write(input, lines);
        Path out = tmp.resolve("chat-scores.jsonl");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), "score", "--model", model, "--input", input.toString(),
                "--output", out.toString(), "--backend", "cpu", "--cpu-dtype", CPU_DTYPE, "--kv-cache-dtype", KV_CACHE_DTYPE, "--chat-template", template.toString(), "-q");
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        Map<String, JsonNode> cli = new HashMap<>();
        for (String line : Files.readAllLines(out)) cli.put(JSON.readTree(line).get("id").asText(), JSON.readTree(line));

        Dataset<Row> table = spark.read().json(input.toString());   // messages: array<struct<content, role>>
        List<Row> scored = Hydragen.score(table.repartition(2), GenerateOptions.builder(model).backend("cpu")
                .chatTemplate(template.toString()).build()).select("id", "scores", "best", "error").collectAsList();
        assertEquals(lines.size(), scored.size());
        for (Row r : scored) {
            JsonNode c = cli.get(r.getString(0));
            assertNull(r.getString(3), r.getString(0));
            assertEquals(c.get("best").asText(), r.getString(2));
            assertScores(c.get("scores"), r.getList(1), r.getString(0));
        }
    }

    /** The candidates' scores against the CLI's: same tokens and greediness, log-likelihoods equal to 1e-5. */
    static void assertScores(JsonNode expected, List<Row> actual, String id) {
        assertEquals(expected.size(), actual.size(), id);
        for (int i = 0; i < actual.size(); i++) {
            JsonNode e = expected.get(i);
            Row a = actual.get(i);
            assertEquals(e.get("candidate").asText(), a.getString(0), id);
            // batches differ between the CLI (one) and Spark (per partition): the summation order may differ in the last bits
            assertEquals(e.get("logprob").asDouble(), a.getDouble(1), 1e-5, id);
            assertEquals(e.get("tokens").asInt(), a.getInt(2), id);
            assertEquals(e.get("greedy").asBoolean(), a.getBoolean(3), id);
        }
    }
}
