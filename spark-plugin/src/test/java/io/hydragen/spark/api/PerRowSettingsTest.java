package io.hydragen.spark.api;

import io.hydragen.spark.SharedCheckpoints;
import io.hydragen.spark.TestSpark;
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

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Per-row settings from columns (issue #10) on a reference checkpoint, through the DataFrame API, SQL and the
 * DataSource: each row generates with its own settings, a bad value is that row's error, and a row's result is the
 * one it gets alone with those settings as constants (it does not depend on its batch mates).
 */
class PerRowSettingsTest {
    static SparkSession spark;
    static String model;
    static Dataset<Row> table;
    @TempDir
    static Path tmp;

    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType)
            .add("mnt", DataTypes.IntegerType).add("temp", DataTypes.DoubleType).add("sd", DataTypes.LongType)
            .add("st", DataTypes.createArrayType(DataTypes.StringType));
    static final String SHARED = "The weather report for the coast says the wind will turn in the evening, and then ";

    /** One setting row: what the row holds, and (for a good row) the constant options that give the same result. */
    record Case(String id, String prompt, Integer mnt, Double temp, Long seed, List<String> stop) {
        Row row() { return RowFactory.create(id, prompt, mnt, temp, seed, stop); }
    }

    static final List<Case> GOOD = List.of(
            new Case("a", SHARED + "question a", 3, null, null, null),
            new Case("b", SHARED + "question b", 10, 1.0, 5L, null),
            new Case("c", SHARED + "question b", 10, 1.0, 5L, null),   // b's prompt and settings under another id
            new Case("d", SHARED + "question d", null, 0.8, 5L, null),
            new Case("e", SHARED + "question e", 20, 1.3, 9L, List.of("e", "a")),
            new Case("f", SHARED + "question f", null, null, null, null));
    static final List<Case> BAD = List.of(
            new Case("nan", SHARED + "question nan", null, Double.NaN, null, null),
            new Case("neg", SHARED + "question neg", -1, null, null, null));

    @BeforeAll
    static void start() {
        spark = TestSpark.shared();
        model = SharedCheckpoints.require("tiny-llama-bpe");
        List<Row> rows = new ArrayList<>();
        for (Case c : GOOD) rows.add(c.row());
        for (Case c : BAD) rows.add(c.row());
        table = spark.createDataFrame(rows, SCHEMA).repartition(2);
        table.createOrReplaceTempView("per_row_prompts");
    }

    static GenerateOptions.Builder call() {
        return GenerateOptions.builder(model).backend("cpu").idColumn("id").maxNewTokens(6).temperature(0.0).seed(1)
                .ignoreEos(true).batchSize(64);
    }

    static GenerateOptions.Builder perRow() {
        return call().settingColumn(RowSetting.MAX_NEW_TOKENS, "mnt").settingColumn(RowSetting.TEMPERATURE, "temp")
                .settingColumn(RowSetting.SEED, "sd").settingColumn(RowSetting.STOP, "st");
    }

    /** id → (completion, finish_reason, error, completion_tokens), checking that every id comes once. */
    static Map<String, List<Object>> byId(Dataset<Row> out) {
        Map<String, List<Object>> m = new HashMap<>();
        for (Row r : out.select("id", "completion", "finish_reason", "error", "completion_tokens").collectAsList()) {
            assertNull(m.put(r.getString(0), java.util.Arrays.asList(r.get(1), r.get(2), r.get(3), r.get(4))), "row " + r.getString(0) + " twice");
        }
        return m;
    }

    @Test
    void eachRowGeneratesWithItsOwnSettingsAsItWouldAlone() {
        Map<String, List<Object>> out = byId(Hydragen.generate(table, perRow().build()));
        assertEquals(GOOD.size() + BAD.size(), out.size());
        assertTrue(((String) out.get("nan").get(2)).contains("temperature must be a finite number >= 0, got NaN"), out.get("nan").toString());
        assertTrue(((String) out.get("neg").get(2)).contains("max_new_tokens must be >= 0, got -1"), out.get("neg").toString());
        for (Case c : BAD) assertEquals("error", out.get(c.id()).get(1));
        assertEquals(3, out.get("a").get(3));
        assertEquals(10, out.get("b").get(3));
        assertEquals(6, out.get("d").get(3), "a null cell keeps the call's max_new_tokens");
        assertEquals(out.get("b"), out.get("c"), "a seed from a column is used as is, not derived from the row's id");
        for (Case c : GOOD) {
            GenerateOptions.Builder alone = call();
            if (c.mnt() != null) alone.maxNewTokens(c.mnt());
            if (c.temp() != null) alone.temperature(c.temp());
            if (c.seed() != null) alone.seed(c.seed()).perRowSeeds(false);
            if (c.stop() != null) alone.stop(c.stop());
            Map<String, List<Object>> single = byId(Hydragen.generate(table.filter(col("id").equalTo(c.id())), alone.build()));
            assertEquals(single.get(c.id()), out.get(c.id()), "row " + c.id());
            assertNull(out.get(c.id()).get(2));
        }
        assertNotEquals(out.get("b").get(0), out.get("d").get(0));
    }

    @Test
    void sqlAndTheDataSourceReadTheSameColumns() {
        Map<String, List<Object>> api = byId(Hydragen.generate(table, perRow().build()));
        Map<String, List<Object>> sql = byId(spark.sql("SELECT * FROM hydragen_generate(TABLE(per_row_prompts), map("
                + "'model', '" + model + "', 'backend', 'cpu', 'id_column', 'id', 'max_new_tokens', '6', 'temperature', '0', "
                + "'seed', '1', 'ignore_eos', 'true', 'batch_size', '64', 'max_new_tokens_column', 'mnt', "
                + "'temperature_column', 'temp', 'seed_column', 'sd', 'stop_column', 'st'))"));
        assertEquals(api, sql);
        String parquet = tmp.resolve("per-row.parquet").toString();
        table.write().parquet(parquet);
        Map<String, List<Object>> source = byId(spark.read().format("hydragen").option("model", model).option("backend", "cpu")
                .option("id_column", "id").option("max_new_tokens", "6").option("temperature", "0").option("seed", "1")
                .option("ignore_eos", "true").option("batch_size", "64").option("max_new_tokens_column", "mnt")
                .option("temperature_column", "temp").option("seed_column", "sd").option("stop_column", "st").load(parquet));
        assertEquals(api, source);
    }

    @Test
    void continuousSchedulingGivesEachRowTheSameResult() {
        assertEquals(byId(Hydragen.generate(table, perRow().build())),
                byId(Hydragen.generate(table, perRow().scheduler("continuous").batchSize(3).build())));
    }

    @Test
    void aMissingSettingColumnFailsBeforeAnyTask() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hydragen.generate(table, call().settingColumn(RowSetting.TOP_P, "nope").build()));
        assertTrue(e.getMessage().contains("top_p_column 'nope' not found"), e.getMessage());
    }

    @Test
    void aStringColumnsBadValueIsOnlyThatRowsError() {
        Dataset<Row> t = spark.createDataFrame(List.of(RowFactory.create("x", SHARED + "x", "0.5"), RowFactory.create("y", SHARED + "y", "hot"),
                        RowFactory.create("z", SHARED + "z", null)),
                new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType).add("t", DataTypes.StringType));
        Map<String, List<Object>> out = byId(Hydragen.generate(t, call().settingColumn(RowSetting.TEMPERATURE, "t").build()));
        assertEquals("temperature_column 't': expected a number, got \"hot\"", out.get("y").get(2));
        assertEquals("length", out.get("x").get(1));
        assertEquals("length", out.get("z").get(1));
    }
}
