package io.hydragen.spark.resilience;

import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.seed.RowSeeds;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One table mixing good prompts with bad ones (null, empty, longer than synthetic:tiny's 4096-position context, the
 * long one sharing the good rows' routing prefix so it lands in their engine batch) through every entry point:
 * {@code Hydragen.generate}, the {@code hydragen_generate} table function, the {@code hydragen_complete} scalar and the
 * {@code hydragen} DataSource. Each bad row gets an error row naming its problem (NULL from the scalar), and every
 * good row comes out exactly once with the completion it gets alone (one engine call for it only).
 */
class BadRowsEntryPointsTest {
    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType);
    static final String SHARED = "Instructions shared by the good rows and the over-long one: reply briefly. ";
    /** Bad rows and a fragment their error must contain. */
    static final Map<String, String> BAD = Map.of("null", "null", "empty", "empty", "too-long", "context");

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static List<Row> rows;
    static Map<String, String> alone;

    @BeforeAll
    static void start() {
        spark = TestSpark.shared();
        rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) rows.add(RowFactory.create("good-" + i, SHARED + "Question " + i + "?"));
        rows.add(RowFactory.create("null", null));
        rows.add(RowFactory.create("good-4", "An unrelated good prompt"));
        rows.add(RowFactory.create("empty", ""));
        rows.add(RowFactory.create("too-long", SHARED + "y".repeat(5000)));
        rows.add(RowFactory.create("good-5", SHARED + "Question 5?"));
        spark.createDataFrame(rows, SCHEMA).createOrReplaceTempView("bad_rows");

        GenerateOptions o = options();
        alone = new TreeMap<>();
        try (Engine engine = Engine.open(EngineOptions.of("synthetic:tiny").withBackend("cpu"))) {
            for (Row r : rows) {
                if (BAD.containsKey(r.getString(0))) continue;
                GenerationRequest req = GenerationRequest.ofText(r.getString(0), r.getString(1),
                        o.samplingParams(RowSeeds.forPrompt(o.seed(), r.getString(1), 0)));
                Completion c = engine.generate(List.of(req)).completions().get(0);
                alone.put(c.requestId(), c.text());
            }
        }
        assertEquals(6, alone.size());
    }

    /** Every row in one engine batch (batch_size 16), so the bad rows share a batch with the good ones. */
    static GenerateOptions options() {
        return GenerateOptions.builder("synthetic:tiny").maxNewTokens(6).temperature(0.8).seed(7).ignoreEos(true)
                .batchSize(16).backend("cpu").build();
    }

    static final String SQL_OPTIONS = "'model', 'synthetic:tiny', 'max_new_tokens', 6, 'temperature', 0.8, 'seed', 7, "
            + "'ignore_eos', true, 'batch_size', 16, 'backend', 'cpu'";

    /** Asserts the table's output: one row per input row, errors naming the problem, good rows as alone. */
    static void check(Dataset<Row> out, String entryPoint) {
        Map<String, Row> byId = new HashMap<>();
        for (Row r : out.collectAsList()) {
            assertNull(byId.put(r.getAs("id"), r), entryPoint + ": row " + r.getAs("id") + " came out twice");
        }
        assertEquals(rows.size(), byId.size(), entryPoint + ": " + byId.keySet());
        BAD.forEach((id, problem) -> {
            Row r = byId.get(id);
            assertEquals("error", r.getAs("finish_reason"), entryPoint + ": " + id);
            assertNull(r.getAs("completion"), entryPoint + ": " + id);
            String error = r.getAs("error");
            assertNotNull(error, entryPoint + ": " + id);
            assertTrue(error.contains(problem), entryPoint + ": the error of " + id + " names the problem: " + error);
        });
        alone.forEach((id, text) -> {
            Row r = byId.get(id);
            assertEquals("length", r.getAs("finish_reason"), entryPoint + ": " + id);
            assertNull(r.getAs("error"), entryPoint + ": " + id);
            assertEquals(text, r.getAs("completion"), entryPoint + ": " + id + " as alone");
            assertEquals(6, (int) r.getAs("completion_tokens"), entryPoint + ": " + id);
        });
    }

    @Test
    void dataFrameApi() {
        check(Hydragen.generate(spark.table("bad_rows").repartition(3), options()), "Hydragen.generate");
        // one task per row group: the over-long row still shares its routing group with good rows
        check(Hydragen.generate(spark.table("bad_rows"), options().toBuilder().partitions(3).batchSize(3).build()),
                "Hydragen.generate, 3 tasks of 3-row batches");
    }

    @Test
    void tableFunction() {
        check(spark.sql("SELECT * FROM hydragen_generate(TABLE(bad_rows), " + SQL_OPTIONS + ")"), "hydragen_generate");
    }

    @Test
    void scalarFunction() {
        List<Row> out = spark.sql("SELECT id, hydragen_complete(prompt, map('model', 'synthetic:tiny', 'max_new_tokens', '6', "
                + "'temperature', '0.8', 'seed', '7', 'ignore_eos', 'true', 'backend', 'cpu')) FROM bad_rows").collectAsList();
        Map<String, String> byId = new HashMap<>();
        for (Row r : out) {
            assertFalse(byId.containsKey(r.getString(0)), "hydragen_complete: row " + r.getString(0) + " came out twice");
            byId.put(r.getString(0), r.getString(1));
        }
        assertEquals(rows.size(), byId.size());
        for (String bad : BAD.keySet()) assertNull(byId.get(bad), "hydragen_complete is NULL for " + bad);
        alone.forEach((id, text) -> assertEquals(text, byId.get(id), "hydragen_complete: " + id + " as alone"));
    }

    @Test
    void dataSource() {
        String parquet = tmp.resolve("bad_rows_parquet").toString();
        spark.table("bad_rows").write().parquet(parquet);
        Dataset<Row> df = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "6")
                .option("temperature", "0.8").option("seed", "7").option("ignore_eos", "true").option("batch_size", "16")
                .option("backend", "cpu").load(parquet);
        check(df, "format(\"hydragen\")");
    }
}
