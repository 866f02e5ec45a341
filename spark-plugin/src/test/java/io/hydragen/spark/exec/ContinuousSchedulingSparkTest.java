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

    /** The engine's look-ahead in batches: the running batch plus ContinuousScheduler.LOOKAHEAD_FACTOR (2) waiting. */
    private static final int LOOKAHEAD_BATCHES = 3;

    @Test
    void thePartitionIteratorIsOneStreamThatYieldsRowsBeforeItsInputIsRead() {
        int batch = 4, total = 200;
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").batchSize(batch).maxNewTokens(4).scheduler("continuous")
                .routing("none").build();
        AtomicInteger pulled = new AtomicInteger();
        Iterator<String> input = new Iterator<>() {
            int i;
            @Override public boolean hasNext() { return i < total; }
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
        long batchesBefore = HydragenMetrics.get().batches.getCount();
        Map<String, Integer> answered = new HashMap<>();
        int maxAhead = 0, minInFlightWhileReading = Integer.MAX_VALUE;
        try (PartitionGenerator<String> gen = new PartitionGenerator<>(input, access, o)) {
            assertTrue(gen.hasNext());
            PartitionGenerator.Generated<String> first = gen.next();
            assertNotEquals(FinishReason.ERROR, first.completion().finishReason());
            assertTrue(pulled.get() <= LOOKAHEAD_BATCHES * batch + 1, "first row out after pulling " + pulled.get() + " input rows");
            answered.merge(first.input(), 1, Integer::sum);
            while (gen.hasNext()) {
                answered.merge(gen.next().input(), 1, Integer::sum);
                maxAhead = Math.max(maxAhead, pulled.get() - answered.size());
                if (pulled.get() < total) minInFlightWhileReading = Math.min(minInFlightWhileReading, pulled.get() - answered.size());
            }
        }
        assertEquals(total, answered.size(), "every row answered");
        answered.forEach((row, times) -> assertEquals(1, times, row + " answered once"));
        assertTrue(maxAhead <= LOOKAHEAD_BATCHES * batch + 1, "rows read but not yet answered stay within the look-ahead: " + maxAhead);
        // one stream: the running batch is refilled as rows leave and never drains before the input runs out (a stream
        // per slice of the partition drained at each slice's end, leaving one row or none in flight)
        assertTrue(minInFlightWhileReading >= batch, "rows in flight while the input lasts: at least " + minInFlightWhileReading);
        long records = HydragenMetrics.get().batches.getCount() - batchesBefore;
        assertTrue(records >= total / batch, "metrics recorded every batch_size rows as they leave (" + records + " records)");
        assertEquals(0, ExecutorEngines.openLeases());
    }

    @Test
    void aPartitionLongerThanTheBatchIsAnsweredOnceWithTheClisTokens(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.nio.file.Path prompts = tmp.resolve("prompts.jsonl");
        List<String> lines = new ArrayList<>();
        String[] docs = {"The river runs north past the mill. ", "The bridge was built of grey stone. ",
                "The market opens at dawn on Mondays. ", "The bakers come down from the hills. "};
        for (int d = 0; d < docs.length; d++) {
            for (int q = 0; q < 10; q++) {
                lines.add(json.writeValueAsString(Map.of("id", "d" + d + "q" + q, "prompt", docs[d] + "Question " + q + ": why?")));
            }
        }
        java.nio.file.Files.write(prompts, lines);
        // sampled with a stop string, so rows finish at different steps and the running batch is refilled mid-stream
        String[] settings = {"--max-new-tokens", "12", "--temperature", "0.9", "--top-k", "40", "--seed", "77", "--stop", "e",
                "--batch-size", "4", "--scheduler", "continuous", "--min-shared-tokens", "4"};
        java.nio.file.Path cliOut = tmp.resolve("cli.jsonl");
        List<String> args = new ArrayList<>(List.of("generate", "--model", "synthetic:tiny", "--input", prompts.toString(),
                "--output", cliOut.toString(), "--backend", "cpu", "-q"));
        args.addAll(List.of(settings));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        assertEquals(0, io.hydragen.cli.Main.run(new java.io.ByteArrayInputStream(new byte[0]), new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8), args.toArray(new String[0])), err.toString());
        Map<String, String> cli = new java.util.TreeMap<>();
        for (String line : java.nio.file.Files.readAllLines(cliOut)) {
            com.fasterxml.jackson.databind.JsonNode n = json.readTree(line);
            cli.put(n.get("id").asText(), n.get("completion").asText() + "|" + n.get("finish_reason").asText() + "|" + n.get("completion_tokens").asInt());
        }
        assertEquals(40, cli.size());
        assertTrue(cli.values().stream().map(v -> v.substring(v.lastIndexOf('|'))).distinct().count() > 2, "lengths vary: " + cli.values());

        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(12).temperature(0.9).topK(40).seed(77)
                .stop(List.of("e")).batchSize(4).scheduler("continuous").minSharedTokens(4).idColumn("id").partitions(1).backend("cpu").build();
        Map<String, String> spark = new java.util.TreeMap<>();
        for (Row r : Hydragen.generate(TestSpark.shared().read().json(prompts.toString()), o)
                .select("id", "completion", "finish_reason", "completion_tokens").collectAsList()) {
            assertNull(spark.put(r.getString(0), r.getString(1) + "|" + r.getString(2) + "|" + r.getInt(3)), r.getString(0) + " answered twice");
        }
        assertEquals(cli, spark, "one partition of 40 rows, 10 batches, as one continuous stream: the CLI's completions");
    }

    // cancellation under both schedulers: CancellationSparkTest
}
