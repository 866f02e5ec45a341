package io.hydragen.spark.datasource;

import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.spark.model.ModelNotFoundException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.spark_partition_id;
import static org.junit.jupiter.api.Assertions.*;

/** spark.read.format("hydragen"): json lines, parquet and csv prompt tables; partitions are prefix groups. */
class HydragenDataSourceTest {
    static SparkSession spark;
    @TempDir
    static Path tmp;
    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("doc", DataTypes.StringType)
            .add("prompt", DataTypes.StringType);

    @BeforeAll
    static void start() { spark = TestSpark.shared(); }

    static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            String doc = "Document " + d + " says: " + "the quick brown fox jumps. ".repeat(2 + d);
            for (int q = 0; q < 5; q++) rows.add(RowFactory.create(d + "-" + q, "doc" + d, doc + " Question " + q + "?"));
        }
        return rows;
    }

    static Dataset<Row> table() { return spark.createDataFrame(rows(), SCHEMA).repartition(3); }

    static Map<String, String> byId(Dataset<Row> df) {
        Map<String, String> m = new HashMap<>();
        for (Row r : df.select("id", "completion").collectAsList()) assertNull(m.put(r.getString(0), r.getString(1)));
        return m;
    }

    @Test
    void readsJsonLinesParquetAndCsvLikeTheApi() throws Exception {
        Path jsonl = tmp.resolve("prompts.jsonl");
        StringBuilder sb = new StringBuilder();
        for (Row r : rows()) {
            sb.append("{\"id\":\"").append(r.getString(0)).append("\",\"doc\":\"").append(r.getString(1))
                    .append("\",\"prompt\":\"").append(r.getString(2)).append("\"}\n");
        }
        Files.writeString(jsonl, sb.toString());
        String parquet = tmp.resolve("prompts_parquet").toString();
        table().write().parquet(parquet);
        String csv = tmp.resolve("prompts_csv").toString();
        table().write().option("header", "true").csv(csv);

        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(4).temperature(0.8).seed(9).backend("cpu").build();
        Map<String, String> expected = byId(Hydragen.generate(table(), o));
        assertEquals(15, expected.size());
        for (String path : List.of(jsonl.toString(), parquet, csv)) {
            Dataset<Row> df = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "4")
                    .option("temperature", "0.8").option("seed", "9").option("backend", "cpu").load(path);
            List<String> cols = List.of(df.columns());
            // json inference orders the input columns by name; the outputs always follow them
            assertEquals(Set.of("id", "doc", "prompt"), new HashSet<>(cols.subList(0, 3)), path);
            assertEquals(List.of("completion", "finish_reason", "error", "prompt_tokens", "completion_tokens",
                    "shared_prompt_tokens", "seed"), cols.subList(3, cols.size()), path);
            assertEquals(expected, byId(df), path);
        }
    }

    @Test
    void theReaderStreamsContinuousPartitionsWithTheApisRows() {
        String parquet = tmp.resolve("continuous_parquet").toString();
        table().write().parquet(parquet);
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(6).temperature(0.8).seed(5).backend("cpu").build();
        Map<String, String> expected = byId(Hydragen.generate(table(), o));
        // batch_size 2: each staged partition (a prefix group of 5 rows) is longer than the batch, one stream per reader
        Dataset<Row> df = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "6")
                .option("temperature", "0.8").option("seed", "5").option("backend", "cpu").option("scheduler", "continuous")
                .option("batch_size", "2").option("prefix_columns", "doc").option("partitions", "3").load(parquet);
        assertEquals(expected, byId(df), "every row once, with the static API's completion");
    }

    @Test
    void inputPartitionsArePrefixGroups() {
        String parquet = tmp.resolve("groups_parquet").toString();
        table().write().parquet(parquet);
        Dataset<Row> df = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "2")
                .option("prefix_columns", "doc").option("partitions", "3").option("backend", "cpu").load(parquet);
        Map<String, Set<Integer>> partitionsOfDoc = new HashMap<>();
        List<Row> out = df.withColumn("pid", spark_partition_id()).select(col("doc"), col("pid"), col("shared_prompt_tokens")).collectAsList();
        assertEquals(15, out.size());
        for (Row r : out) {
            partitionsOfDoc.computeIfAbsent(r.getString(0), k -> new HashSet<>()).add(r.getInt(1));
            assertTrue(r.getInt(2) > 16, "rows of one document share it");
        }
        for (var e : partitionsOfDoc.entrySet()) assertEquals(1, e.getValue().size(), e.getKey() + " in " + e.getValue());
    }

    @Test
    void missingModelFailsNamingIt() {
        String parquet = tmp.resolve("missing_model_parquet").toString();
        table().write().parquet(parquet);
        Exception e = assertThrows(Exception.class, () -> spark.read().format("hydragen")
                .option("model", "file:///nowhere/llama").load(parquet).collect());
        Throwable root = e;
        while (root.getCause() != null && !(root instanceof ModelNotFoundException)) root = root.getCause();
        assertTrue(root.getMessage().contains("file:///nowhere/llama"), root.getMessage());
    }

    @Test
    void aTemporaryViewFromSqlKnowsItsSchemaWithoutGenerating() {
        String parquet = tmp.resolve("sql_view_parquet").toString();
        table().write().parquet(parquet);
        spark.sql("CREATE OR REPLACE TEMPORARY VIEW hydragen_view USING hydragen OPTIONS (path '" + parquet
                + "', model 'synthetic:tiny', max_new_tokens '2', backend 'cpu')");
        try {
            List<String> cols = List.of(spark.table("hydragen_view").columns());
            assertEquals(List.of("id", "doc", "prompt", "completion", "finish_reason", "error", "prompt_tokens",
                    "completion_tokens", "shared_prompt_tokens", "seed"), cols);
            List<Row> rows = spark.sql("SELECT id, completion, finish_reason FROM hydragen_view WHERE doc = 'doc1'").collectAsList();
            assertEquals(5, rows.size());
            for (Row r : rows) assertNotEquals("error", r.getString(2), r.toString());
        } finally {
            spark.sql("DROP VIEW IF EXISTS hydragen_view");
        }
        // as the README says: Spark queries files directly only for its file formats; a view is the way
        Exception direct = assertThrows(Exception.class, () -> spark.sql("SELECT * FROM hydragen.`" + parquet + "`").collectAsList());
        assertTrue(String.valueOf(direct.getMessage()).contains("UNSUPPORTED_DATASOURCE_FOR_DIRECT_QUERY"), direct.getMessage());
    }
}
