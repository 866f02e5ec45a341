package io.hydragen.spark.exec;

import io.hydragen.generate.FinishReason;
import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.spark.plugin.ExecutorEngines;
import io.hydragen.spark.plugin.HydragenMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** {@code scheduler=continuous}: same rows as static, input pulled lazily, bad rows isolated, cancellation prompt. */
class ContinuousSchedulingSparkTest {

    private static Dataset<Row> table(SparkSession spark, int rows) {
        List<Row> data = new ArrayList<>();
        String[] stems = {"Classify the sentiment: ", "Translate to French: ", "Summarize briefly: ", "Q: "};
        for (int i = 0; i < rows; i++) {
            data.add(RowFactory.create((long) i, stems[i % stems.length] + "item " + i + " " + "xyz".repeat(i % 5)));
        }
        return spark.createDataFrame(data, new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType));
    }

    /** Every output row as a comparable string (shared_prompt_tokens left out: it describes the batching). */
    private static List<String> rows(Dataset<Row> prompts, GenerateOptions o) {
        List<String> out = new ArrayList<>();
        for (Row r : Hydragen.generate(prompts, o).collectAsList()) {
            out.add(r.getAs("id") + "|" + r.getAs("sample_index") + "|" + r.getAs("prompt") + "|" + r.getAs("completion") + "|"
                    + r.getAs("finish_reason") + "|" + r.getAs("error") + "|" + r.getAs("prompt_tokens") + "|" + r.getAs("completion_tokens"));
        }
        out.sort(null);
        return out;
    }

    /** The ASCII letter most common in the completions: a stop string that ends rows at different lengths. */
    private static char commonChar(Dataset<Row> prompts, GenerateOptions o) {
        int[] counts = new int[128];
        for (Row r : Hydragen.generate(prompts, o).collectAsList()) {
            String c = r.getAs("completion");
            if (c == null) continue;
            for (char ch : c.substring(Math.min(2, c.length())).toCharArray()) if (ch < 128 && Character.isLetterOrDigit(ch)) counts[ch]++;
        }
        int best = 'e';
        for (int ch = 0; ch < 128; ch++) if (counts[ch] > counts[best]) best = ch;
        return (char) best;
    }

    @Test
    void continuousGivesTheRowsOfStaticWhateverThePartitioning() {
        SparkSession spark = TestSpark.shared();
        Dataset<Row> prompts = table(spark, 24);
        for (boolean sampled : new boolean[] {false, true}) {
            GenerateOptions.Builder b = GenerateOptions.builder("synthetic:tiny").idColumn("id").n(2).batchSize(4)
                    .maxNewTokens(12).ignoreEos(false);
            if (sampled) b.temperature(0.9).topK(40).seed(7);
            b.stop(List.of(String.valueOf(commonChar(prompts, b.scheduler("static").partitions(1).build()))));
            List<String> reference = rows(prompts, b.scheduler("static").partitions(1).build());
            assertEquals(48, reference.size());
            java.util.Set<String> lengths = new java.util.HashSet<>();
            for (String r : reference) lengths.add(r.substring(r.lastIndexOf('|')));
            assertTrue(lengths.size() > 1, "completion lengths vary: " + lengths);
            for (int partitions : new int[] {1, 3}) {
                assertEquals(reference, rows(prompts, b.scheduler("continuous").partitions(partitions).build()),
                        "continuous, " + partitions + " partition(s), sampled=" + sampled);
                assertEquals(reference, rows(prompts, b.scheduler("static").partitions(partitions).build()),
                        "static, " + partitions + " partition(s), sampled=" + sampled);
            }
        }
    }

    @Test
    void badRowsAreIsolatedAndEveryOtherRowIsAnsweredOnce() {
        SparkSession spark = TestSpark.shared();
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < 10; i++) data.add(RowFactory.create((long) i, "Tell me about number " + i));
        data.add(RowFactory.create(100L, null));
        data.add(RowFactory.create(101L, ""));
        data.add(RowFactory.create(102L, "far too long ".repeat(20_000)));
        Dataset<Row> prompts = spark.createDataFrame(data, new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType));
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").idColumn("id").n(2).batchSize(3).maxNewTokens(6)
                .scheduler("continuous").partitions(2).build();
        Map<Long, Integer> good = new HashMap<>();
        Map<Long, String> errors = new HashMap<>();
        for (Row r : Hydragen.generate(prompts, o).collectAsList()) {
            long id = r.getAs("id");
            if ("error".equals(r.getAs("finish_reason"))) errors.put(id, r.getAs("error"));
            else good.merge(id, 1, Integer::sum);
        }
        assertEquals(java.util.Set.of(100L, 101L, 102L), errors.keySet(), errors.toString());
        assertEquals(10, good.size());
        good.values().forEach(v -> assertEquals(2, v, "each good row's two samples, once each"));
    }

    @Test
    void thePartitionIteratorPullsItsInputLazily() {
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").batchSize(4).maxNewTokens(4).scheduler("continuous")
                .routing("none").build();
        AtomicInteger pulled = new AtomicInteger();
        Iterator<String> input = new Iterator<>() {
            int i;
            @Override public boolean hasNext() { return i < 1000; }
            @Override public String next() { pulled.incrementAndGet(); return "Row number " + (i++) + " says"; }
        };
        AtomicInteger unit = new AtomicInteger();
        Map<String, Long> units = new HashMap<>();
        PartitionGenerator.RowAccess<String> access = new PartitionGenerator.RowAccess<>() {
            @Override public String prompt(String row) { return row; }
            @Override public String identity(String row) { return row; }
            @Override public long duplicateOrdinal(String row) { return 0; }
            @Override public long unit(String row) { return units.computeIfAbsent(row, k -> (long) unit.getAndIncrement()); }
        };
        try (PartitionGenerator<String> gen = new PartitionGenerator<>(input, access, o)) {
            assertTrue(gen.hasNext());
            PartitionGenerator.Generated<String> first = gen.next();
            assertNotEquals(FinishReason.ERROR, first.completion().finishReason());
            assertTrue(pulled.get() <= 2 * 4 + 1, "first row out after pulling " + pulled.get() + " input rows");
            int out = 1;
            while (out < 20) { gen.next(); out++; }
            assertTrue(pulled.get() <= 20 + 8 + 1, "pulled " + pulled.get() + " rows to yield 20");
        }
        assertEquals(0, ExecutorEngines.openLeases());
    }

    // cancellation under both schedulers: CancellationSparkTest
}
