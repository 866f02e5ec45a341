package io.hydragen.spark.api;

import io.hydragen.spark.TestSpark;
import io.hydragen.spark.plugin.ExecutorEngines;
import io.hydragen.spark.plugin.HydragenMetrics;
import io.hydragen.spark.plugin.ModelKey;
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
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Per-call settings never load the model again: an executor holds one engine per (model, backend, device), and
 * every path releases the engine it leased, also when the consumer stops early.
 */
class EngineSharingTest {
    static SparkSession spark;
    static Dataset<Row> prompts;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = TestSpark.shared();
        List<Row> rows = new ArrayList<>();
        String shared = "You are a terse assistant. Answer in one word. Context: the sky is blue today. ";
        for (int i = 0; i < 6; i++) rows.add(RowFactory.create(i, shared + "Question " + i + "?"));
        prompts = spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType));
        prompts.createOrReplaceTempView("sharing_prompts");
    }

    @Test
    void fiveDifferentPerCallSettingsShareOneLoadedModel() {
        ExecutorEngines.closeAll();
        long loads0 = HydragenMetrics.get().modelLoads.getCount();
        GenerateOptions base = GenerateOptions.builder("synthetic:tiny").maxNewTokens(3).build();
        List<GenerateOptions> settings = List.of(
                base,
                base.toBuilder().batchSize(2).build(),
                base.toBuilder().minSharedTokens(4).build(),
                base.toBuilder().n(2).build(),
                base.toBuilder().attention("per-sequence").batchSize(3).build());
        for (GenerateOptions o : settings) {
            List<Row> out = Hydragen.generate(prompts, o).collectAsList();
            assertEquals(6 * o.n(), out.size());
        }
        for (String extra : List.of("'batch_size', '5'", "'min_shared_tokens', '8', 'attention', 'per-sequence-shared-kv'",
                "'n', '3'", "'attention', 'per-sequence'", "'batch_size', '1', 'min_shared_tokens', '2'")) {
            assertNotNull(spark.sql("SELECT hydragen_complete(prompt, 'model', 'synthetic:tiny', 'max_new_tokens', 2, "
                    + extra + ") FROM sharing_prompts WHERE id = 0").first().get(0));
        }
        assertEquals(List.of(new ModelKey("synthetic:tiny", "cpu", 0)), ExecutorEngines.loadedModels());
        assertEquals(1, ExecutorEngines.loadedEngines());
        assertEquals(1, HydragenMetrics.get().modelLoads.getCount() - loads0, "the weights were loaded once");
        assertEquals(0, ExecutorEngines.openLeases(), "every task released its engine");
    }

    @Test
    void aConsumerThatStopsEarlyStillReleasesTheEngine() throws Exception {
        List<Row> first = Hydragen.generate(prompts, GenerateOptions.builder("synthetic:tiny").maxNewTokens(2).batchSize(2)
                .build()).limit(1).collectAsList();
        assertEquals(1, first.size());
        assertEquals(0, ExecutorEngines.openLeases(), "DataFrame path: released at task completion");

        Path jsonl = tmp.resolve("early.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) sb.append("{\"prompt\":\"Tell me about number ").append(i).append(".\"}\n");
        Files.writeString(jsonl, sb.toString());
        List<Row> one = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "2")
                .option("batch_size", "2").load(jsonl.toString()).limit(1).collectAsList();
        assertEquals(1, one.size());
        assertEquals(0, ExecutorEngines.openLeases(), "DataSource path: the reader's close released it");
    }
}
