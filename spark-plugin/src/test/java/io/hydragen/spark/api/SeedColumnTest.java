package io.hydragen.spark.api;

import io.hydragen.seed.RowSeeds;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The {@code seed} output column through every entry point (DataFrame, SQL, DataSource): with a run seed, each row's
 * seed is {@link RowSeeds}'s (the CLI's rule); without one, a fresh run seed gives every row its own seed; any row is
 * reproduced by pinning its recorded seed; a row that never reached the engine has none. Also: a malformed JSON line
 * read by the DataSource is an error row saying "not valid JSON", the other rows answered once.
 */
class SeedColumnTest {
    static SparkSession spark;
    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType);

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() { spark = TestSpark.shared(); }

    /** Sampling, so a seed shows in the text: four equal prompts, one other, one null. */
    static Dataset<Row> table() {
        return spark.createDataFrame(List.of(RowFactory.create("a", "Tell me a story"), RowFactory.create("b", "Tell me a story"),
                RowFactory.create("c", "Tell me a story"), RowFactory.create("d", "Tell me a story"),
                RowFactory.create("e", "Another prompt"), RowFactory.create("f", null)), SCHEMA);
    }

    static GenerateOptions.Builder sampling() {
        return GenerateOptions.builder("synthetic:tiny").maxNewTokens(6).ignoreEos(true).temperature(1.0).backend("cpu");
    }

    record Out(String completion, Long seed, String error) {}

    static Map<String, Out> byId(Dataset<Row> df) {
        Map<String, Out> m = new TreeMap<>();
        for (Row r : df.select("id", "completion", "seed", "error").collectAsList()) {
            m.put(r.getString(0), new Out(r.getString(1), r.isNullAt(2) ? null : r.getLong(2), r.getString(3)));
        }
        return m;
    }

    @Test
    void withARunSeedEachRowsSeedIsTheClisRule() {
        Map<String, Out> out = byId(Hydragen.generate(table(), sampling().seed(7).idColumn("id").build()));
        for (String id : List.of("a", "b", "c", "d", "e")) assertEquals(RowSeeds.forId(7, id), out.get(id).seed(), id);
        assertNull(out.get("f").seed(), "a null prompt never reached the engine: no seed");
        assertEquals("prompt is null", out.get("f").error());

        // without an id column: the prompt and its ordinal among equal prompts, so the four equal prompts differ
        Map<String, Out> byPrompt = byId(Hydragen.generate(table(), sampling().seed(7).build()));
        Set<Long> expected = new HashSet<>();
        for (int k = 0; k < 4; k++) expected.add(RowSeeds.forPrompt(7, "Tell me a story", k));
        Set<Long> seen = new HashSet<>();
        for (String id : List.of("a", "b", "c", "d")) seen.add(byPrompt.get(id).seed());
        assertEquals(expected, seen);
        assertEquals(RowSeeds.forPrompt(7, "Another prompt", 0), byPrompt.get("e").seed());

        // per_row_seeds=false: the run seed as is, for every row
        Map<String, Out> same = byId(Hydragen.generate(table(), sampling().seed(7).perRowSeeds(false).build()));
        for (String id : List.of("a", "b", "c", "d", "e")) assertEquals(7L, same.get(id).seed(), id);
    }

    @Test
    void withoutASeedRowsDrawFreshSeedsAndAnyRowIsReproducedByPinningItsSeed() {
        GenerateOptions options = sampling().build();
        Dataset<Row> df = Hydragen.generate(table(), options);
        Map<String, Out> out = byId(df);
        Set<Long> seeds = new HashSet<>();
        Set<String> texts = new HashSet<>();
        for (String id : List.of("a", "b", "c", "d")) {
            seeds.add(out.get(id).seed());
            texts.add(out.get(id).completion());
        }
        assertEquals(4, seeds.size(), "identical prompts get their own seeds: " + out);
        assertTrue(texts.size() > 1, "identical prompts get different samples: " + out);
        assertEquals(out, byId(df), "the plan computed again (as on a retry) keeps its seeds");
        assertNotEquals(out.get("a").seed(), byId(Hydragen.generate(table(), sampling().build())).get("a").seed(),
                "another run draws another seed");

        // reproduce row c alone from its recorded seed
        Out c = out.get("c");
        Dataset<Row> alone = spark.createDataFrame(List.of(RowFactory.create("c", "Tell me a story")), SCHEMA);
        Map<String, Out> again = byId(Hydragen.generate(alone, sampling().seed(c.seed()).perRowSeeds(false).build()));
        assertEquals(c, again.get("c"));
    }

    @Test
    void sqlAndTheDataSourceRecordTheSameSeeds() throws Exception {
        table().createOrReplaceTempView("seed_prompts");
        Map<String, Out> sql = byId(spark.sql("SELECT * FROM hydragen_generate(TABLE(seed_prompts), 'model', 'synthetic:tiny', "
                + "'max_new_tokens', 6, 'ignore_eos', true, 'temperature', 1.0, 'seed', 11, 'id_column', 'id', 'backend', 'cpu')"));
        Path file = Files.write(tmp.resolve("prompts.jsonl"), List.of("{\"id\": \"a\", \"prompt\": \"Tell me a story\"}",
                "{\"id\": \"b\", \"prompt\": \"Tell me a story\"}", "{\"id\": \"e\", \"prompt\": \"Another prompt\"}"));
        Dataset<Row> source = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "6")
                .option("ignore_eos", "true").option("temperature", "1.0").option("seed", "11").option("id_column", "id")
                .option("backend", "cpu").load(file.toString());
        Map<String, Out> ds = byId(source);
        for (String id : List.of("a", "b", "e")) {
            assertEquals(RowSeeds.forId(11, id), sql.get(id).seed(), id);
            assertEquals(sql.get(id), ds.get(id), "SQL and the DataSource answer a row alike: " + id);
        }

        // without a seed, the DataSource's table draws one: two queries over one DataFrame agree
        Dataset<Row> fresh = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "6")
                .option("ignore_eos", "true").option("temperature", "1.0").option("backend", "cpu").load(file.toString());
        Map<String, Out> first = byId(fresh);
        assertEquals(first, byId(fresh));
        assertNotEquals(first.get("a").seed(), first.get("b").seed());
    }

    @Test
    void aMalformedJsonLineThroughTheDataSourceIsAnErrorRowSayingSo() throws Exception {
        Path file = Files.write(tmp.resolve("malformed.jsonl"), List.of("{\"id\": \"a\", \"prompt\": \"Hello there\"}",
                "{\"id\": \"b\", \"prompt\": ", "{\"id\": \"c\", \"prompt\": \"General Kenobi\"}"));
        List<Row> rows = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "2")
                .option("backend", "cpu").load(file.toString())
                .select("_corrupt_record", "id", "finish_reason", "error", "seed").collectAsList();
        assertEquals(3, rows.size(), rows.toString());
        Row bad = rows.stream().filter(r -> !r.isNullAt(0)).findFirst().orElseThrow();
        assertEquals("error", bad.getString(2));
        assertEquals("not valid JSON: {\"id\": \"b\", \"prompt\": ", bad.getString(3));
        assertTrue(bad.isNullAt(4), "never reached the engine: no seed");
        List<String> answered = rows.stream().filter(r -> r.isNullAt(0)).map(r -> r.getString(1) + ":" + r.getString(2)).sorted().toList();
        assertEquals(List.of("a:length", "c:length"), answered);

        // and the same through the DataFrame API over the same file
        Dataset<Row> read = spark.read().json(file.toString());
        List<Row> df = Hydragen.generate(read, GenerateOptions.builder("synthetic:tiny").maxNewTokens(2).backend("cpu").build())
                .where("_corrupt_record IS NOT NULL").select("error").collectAsList();
        assertEquals(List.of("not valid JSON: {\"id\": \"b\", \"prompt\": "), df.stream().map(r -> r.getString(0)).toList());
    }
}
