package io.hydragen.spark.api;

import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.spark.TestSpark;
import io.hydragen.seed.RowSeeds;
import io.hydragen.spark.model.ModelNotFoundException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.rand;
import static org.junit.jupiter.api.Assertions.*;

/** The DataFrame API on local[2]: same outputs as the engine called directly, whatever the partitioning and order. */
class GenerateLocalTest {
    static final String MODEL = "synthetic:tiny";
    static SparkSession spark;
    static Engine engine;

    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("prompt", DataTypes.StringType);

    @BeforeAll
    static void start() {
        spark = TestSpark.shared();
        engine = Engine.open(EngineOptions.of(MODEL).withBackend("cpu"));
    }

    @AfterAll
    static void stop() {
        if (engine != null) engine.close();
    }

    static final String INSTRUCTION = "You are a careful assistant. Answer in one word, in lower case, and nothing else. ";

    /** Prompts with a shared instruction, two documents asked several questions each, and unrelated prompts. */
    static List<Row> prompts() {
        List<Row> rows = new ArrayList<>();
        int id = 0;
        for (String doc : List.of("Document A: the cat sat on the mat while the dog slept by the fire all afternoon. ",
                "Document B: rain fell on the city for nine days and the river rose over its banks. ")) {
            for (String q : List.of("Who slept?", "Where?", "How long?", "What rose?", "Which animal?")) {
                rows.add(RowFactory.create("r" + id++, INSTRUCTION + doc + "Question: " + q));
            }
        }
        rows.add(RowFactory.create("r" + id++, "Unrelated short prompt"));
        rows.add(RowFactory.create("r" + id++, "Another unrelated prompt about trains"));
        return rows;
    }

    static GenerateOptions.Builder sampled() {
        return GenerateOptions.builder(MODEL).maxNewTokens(6).temperature(0.9).topK(40).seed(1234).batchSize(4)
                .minSharedTokens(4).backend("cpu");
    }

    /** What the engine gives for each prompt when called directly with the row's derived seed. */
    static Map<String, String> direct(List<Row> rows, GenerateOptions o) {
        List<GenerationRequest> reqs = new ArrayList<>();
        for (Row r : rows) {
            String p = r.getString(1);
            reqs.add(GenerationRequest.ofText(r.getString(0), p, o.samplingParams(RowSeeds.forPrompt(o.seed(), p, 0))));
        }
        Map<String, String> out = new TreeMap<>();
        for (Completion c : engine.generate(reqs).completions()) out.put(c.requestId(), c.text());
        return out;
    }

    static Map<String, String> completions(Dataset<Row> out) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : out.select("id", "completion").collectAsList()) {
            assertNull(m.put(r.getString(0), r.getString(1)), "row " + r.getString(0) + " came out twice");
        }
        return m;
    }

    @Test
    void outputsEqualTheEngineWhateverThePartitioningAndOrder() {
        List<Row> rows = prompts();
        GenerateOptions o = sampled().build();
        Map<String, String> expected = direct(rows, o);
        assertEquals(rows.size(), expected.size());

        Dataset<Row> df = spark.createDataFrame(rows, SCHEMA);
        Dataset<Row> onePartition = df.coalesce(1);
        Dataset<Row> shuffled = df.repartition(5).orderBy(rand(7)).repartition(3);
        List<Row> reversed = new ArrayList<>(rows);
        java.util.Collections.reverse(reversed);
        Dataset<Row> reversedDf = spark.createDataFrame(reversed, SCHEMA).repartition(2);

        assertEquals(expected, completions(Hydragen.generate(onePartition, o)));
        assertEquals(expected, completions(Hydragen.generate(shuffled, o)));
        assertEquals(expected, completions(Hydragen.generate(reversedDf, o.toBuilder().partitions(3).batchSize(3).build())));
        // the unrouted baseline batches rows as they come, and still completes each row the same way
        assertEquals(expected, completions(Hydragen.generate(shuffled, o.toBuilder().routing("none").build())));
    }

    @Test
    void withoutPerRowSeedsEveryRowUsesTheSeedLikeTheCli() {
        List<Row> rows = prompts();
        GenerateOptions o = sampled().perRowSeeds(false).build();
        List<GenerationRequest> reqs = new ArrayList<>();
        // what bin/hydragen generate does: one SamplingParams, with the --seed, for every line
        var params = new io.hydragen.generate.SamplingParams(o.maxNewTokens(), o.temperature(), o.topK(), o.topP(), o.seed(),
                o.stop(), o.stopTokenIds(), o.ignoreEos(), o.n());
        for (Row r : rows) reqs.add(GenerationRequest.ofText(r.getString(0), r.getString(1), params));
        Map<String, String> expected = new TreeMap<>();
        for (Completion c : engine.generate(reqs).completions()) expected.put(c.requestId(), c.text());
        assertEquals(expected, completions(Hydragen.generate(spark.createDataFrame(rows, SCHEMA).repartition(3), o)));
        assertNotEquals(expected, direct(rows, sampled().build()), "per-row seeds do change sampled outputs");
    }

    @Test
    void outputHasInputColumnsThenOutputColumns() {
        Dataset<Row> out = Hydragen.generate(spark.createDataFrame(prompts(), SCHEMA), sampled().maxNewTokens(3).ignoreEos(true).build());
        assertEquals(List.of("id", "prompt", "completion", "finish_reason", "error", "prompt_tokens", "completion_tokens",
                "shared_prompt_tokens", "seed"), Arrays.asList(out.columns()));
        for (Row r : out.collectAsList()) {
            assertEquals("length", r.getAs("finish_reason"));
            assertNull(r.getAs("error"));
            assertEquals(3, (int) r.getAs("completion_tokens"));
            assertTrue((int) r.getAs("prompt_tokens") >= r.getString(1).length(), "byte tokenizer: at least one token per char");
        }
    }

    @Test
    void automaticRoutingSharesPrefixesInsideBatches() {
        Dataset<Row> out = Hydragen.generate(spark.createDataFrame(prompts(), SCHEMA).repartition(4),
                sampled().maxNewTokens(2).batchSize(16).build());
        Map<String, Integer> shared = new HashMap<>();
        for (Row r : out.collectAsList()) shared.put(r.getString(0), r.getAs("shared_prompt_tokens"));
        // the ten rows of the two documents share the instruction, and each document's rows share the document
        String instructionAndDoc = INSTRUCTION + "Document A: the cat sat";
        for (int i = 0; i < 10; i++) {
            assertTrue(shared.get("r" + i) >= instructionAndDoc.length(),
                    "row r" + i + " shared only " + shared.get("r" + i) + " prompt tokens");
        }
    }

    @Test
    void samplesPerPromptGiveOneRowEach() {
        List<Row> rows = prompts().subList(0, 3);
        GenerateOptions o = sampled().n(3).build();
        Dataset<Row> out = Hydragen.generate(spark.createDataFrame(rows, SCHEMA), o);
        assertEquals("sample_index", out.columns()[out.columns().length - 1]);
        List<Row> got = out.orderBy(col("id"), col("sample_index")).collectAsList();
        assertEquals(9, got.size());
        List<GenerationRequest> reqs = new ArrayList<>();
        for (Row r : rows) reqs.add(GenerationRequest.ofText(r.getString(0), r.getString(1),
                o.samplingParams(RowSeeds.forPrompt(o.seed(), r.getString(1), 0))));
        List<Completion> want = engine.generate(reqs).completions();
        for (int i = 0; i < 9; i++) {
            assertEquals(want.get(i).requestId(), got.get(i).getString(0));
            assertEquals(want.get(i).sampleIndex(), (int) got.get(i).getAs("sample_index"));
            assertEquals(want.get(i).text(), got.get(i).getAs("completion"));
        }
    }

    @Test
    void badRowsGetErrorsWhileTheJobSucceeds() {
        List<Row> rows = new ArrayList<>(prompts().subList(0, 2));
        rows.add(RowFactory.create("null", null));
        rows.add(RowFactory.create("empty", ""));
        rows.add(RowFactory.create("long", "x".repeat(5000)));
        Map<String, Row> out = new HashMap<>();
        for (Row r : Hydragen.generate(spark.createDataFrame(rows, SCHEMA), sampled().ignoreEos(true).build()).collectAsList()) {
            out.put(r.getString(0), r);
        }
        assertEquals(5, out.size());
        for (String bad : List.of("null", "empty", "long")) {
            assertEquals("error", out.get(bad).getAs("finish_reason"), bad);
            assertNotNull(out.get(bad).getAs("error"), bad);
            assertNull(out.get(bad).getAs("completion"), bad);
        }
        assertTrue(((String) out.get("null").getAs("error")).contains("null"));
        assertTrue(((String) out.get("long").getAs("error")).contains("context"), (String) out.get("long").getAs("error"));
        assertEquals("length", out.get("r0").getAs("finish_reason"));
        assertEquals("length", out.get("r1").getAs("finish_reason"));
    }

    @Test
    void duplicatedPromptsGetIndependentSamplesIndependentOfOrder() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) rows.add(RowFactory.create("d" + i, "Tell me a story about a lighthouse"));
        GenerateOptions o = sampled().maxNewTokens(8).temperature(1.5).topK(0).build();
        Map<String, String> a = completions(Hydragen.generate(spark.createDataFrame(rows, SCHEMA).coalesce(1), o));
        java.util.Collections.reverse(rows);
        // one task (ordinals counted in the task) and three tasks (ordinals from a window) give the same seeds
        Map<String, String> b = completions(Hydragen.generate(spark.createDataFrame(rows, SCHEMA).repartition(3), o.toBuilder().partitions(3).build()));
        assertEquals(a, b);
        assertTrue(new java.util.HashSet<>(a.values()).size() > 1, "six samples of one prompt were all equal: " + a);
    }

    @Test
    void metricsReachSparksMetricsSystem() {
        var sources = org.apache.spark.SparkEnv.get().metricsSystem()
                .getSourcesByName("plugin." + io.hydragen.spark.plugin.HydragenPlugin.class.getName());
        assertEquals(1, sources.size(), "the executor plugin registered one source");
        var registry = sources.head().metricRegistry();
        long prompts0 = registry.getCounters().get("prompts").getCount();
        long generated0 = registry.getCounters().get("generatedTokens").getCount();
        long shared0 = registry.getCounters().get("sharedPromptTokens").getCount();
        Hydragen.generate(spark.createDataFrame(prompts(), SCHEMA), sampled().maxNewTokens(3).ignoreEos(true).build()).collectAsList();
        assertEquals(prompts0 + 12, registry.getCounters().get("prompts").getCount());
        assertEquals(generated0 + 36, registry.getCounters().get("generatedTokens").getCount());
        assertTrue(registry.getCounters().get("sharedPromptTokens").getCount() > shared0);
        assertTrue(registry.getHistograms().get("decodeTokensPerSecond").getCount() > 0);
    }

    @Test
    void missingModelFailsOnTheDriverNamingThePath() {
        Dataset<Row> df = spark.createDataFrame(prompts(), SCHEMA);
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class,
                () -> Hydragen.generate(df, GenerateOptions.builder("/no/such/model-dir").build()));
        assertTrue(e.getMessage().contains("/no/such/model-dir"), e.getMessage());
        ModelNotFoundException s = assertThrows(ModelNotFoundException.class,
                () -> Hydragen.generate(df, GenerateOptions.builder("synthetic:nope").build()));
        assertTrue(s.getMessage().contains("synthetic:nope"), s.getMessage());
    }

    @Test
    void missingPromptColumnIsNamed() {
        Dataset<Row> df = spark.createDataFrame(prompts(), SCHEMA);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hydragen.generate(df, sampled().promptColumn("text").build()));
        assertTrue(e.getMessage().contains("'text'"), e.getMessage());
    }
}
