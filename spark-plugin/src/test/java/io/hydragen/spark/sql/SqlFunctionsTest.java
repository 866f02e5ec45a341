package io.hydragen.spark.sql;

import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** hydragen_generate and hydragen_complete through spark.sql, registered by the session extension. */
class SqlFunctionsTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = TestSpark.shared();
        List<Row> rows = new ArrayList<>();
        String shared = "System: answer the user's question about the weather report below, tersely. Report: sunny. ";
        for (int i = 0; i < 6; i++) rows.add(RowFactory.create(i, shared + "User question " + i + "?"));
        rows.add(RowFactory.create(99, null));
        spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType))
                .createOrReplaceTempView("sql_prompts");
    }

    @Test
    void tableFunctionEqualsTheDataFrameApi() {
        Dataset<Row> sql = spark.sql("SELECT * FROM hydragen_generate(TABLE(sql_prompts), 'model', 'synthetic:tiny', "
                + "'max_new_tokens', 5, 'temperature', 0.7, 'seed', 42, 'backend', 'cpu') ORDER BY id");
        Dataset<Row> api = Hydragen.generate(spark.table("sql_prompts"), GenerateOptions.builder("synthetic:tiny")
                .maxNewTokens(5).temperature(0.7).seed(42).backend("cpu").build()).orderBy("id");
        assertArrayEquals(api.columns(), sql.columns());
        List<Row> a = api.collectAsList();
        List<Row> s = sql.collectAsList();
        assertEquals(7, s.size());
        assertEquals(a, s);
        Row bad = s.get(6);
        assertEquals(99, bad.getInt(0));
        assertEquals("error", bad.getAs("finish_reason"));
        assertTrue((int) s.get(0).getAs("shared_prompt_tokens") > 16, "rows of the query share the system prompt");
    }

    @Test
    void tableFunctionTakesAQueryAndAnOptionsMap() {
        List<Row> s = spark.sql("SELECT id, completion, completion_tokens FROM hydragen_generate("
                + "TABLE(SELECT id, prompt AS text FROM sql_prompts WHERE id < 3), "
                + "map('model', 'synthetic:tiny', 'prompt_column', 'text', 'max_new_tokens', '4', 'ignore_eos', 'true'))").collectAsList();
        assertEquals(3, s.size());
        for (Row r : s) assertEquals(4, r.getInt(2));
    }

    @Test
    void modelDefaultsToTheSessionConf() {
        spark.conf().set("spark.hydragen.model", "synthetic:tiny");
        try {
            long n = spark.sql("SELECT * FROM hydragen_generate(TABLE(sql_prompts), 'max_new_tokens', 2)").count();
            assertEquals(7, n);
        } finally {
            spark.conf().unset("spark.hydragen.model");
        }
    }

    @Test
    void badArgumentsAreExplained() {
        Exception missingModel = assertThrows(Exception.class,
                () -> spark.sql("SELECT * FROM hydragen_generate(TABLE(sql_prompts))").collect());
        assertTrue(rootMessage(missingModel).contains("no model"), rootMessage(missingModel));
        Exception unknown = assertThrows(Exception.class,
                () -> spark.sql("SELECT * FROM hydragen_generate(TABLE(sql_prompts), 'model', 'synthetic:tiny', 'max_tokens', 3)").collect());
        assertTrue(rootMessage(unknown).contains("max_tokens"), rootMessage(unknown));
        Exception missing = assertThrows(Exception.class,
                () -> spark.sql("SELECT * FROM hydragen_generate(TABLE(sql_prompts), 'model', 'hdfs://localhost:1/no/model')").collect());
        assertTrue(rootMessage(missing).contains("hdfs://localhost:1/no/model"), rootMessage(missing));
    }

    @Test
    void scalarCompleteMatchesTheTableFunctionForOnePrompt() {
        String prompt = "Write a haiku about Spark";
        String scalar = spark.sql("SELECT hydragen_complete('" + prompt + "', map('model', 'synthetic:tiny', "
                + "'max_new_tokens', '6', 'temperature', '0.8', 'seed', '5'))").first().getString(0);
        spark.createDataFrame(List.of(RowFactory.create(prompt)), new StructType().add("prompt", DataTypes.StringType))
                .createOrReplaceTempView("one_prompt");
        String table = spark.sql("SELECT completion FROM hydragen_generate(TABLE(one_prompt), 'model', 'synthetic:tiny', "
                + "'max_new_tokens', 6, 'temperature', 0.8, 'seed', 5)").first().getString(0);
        assertNotNull(scalar);
        assertEquals(table, scalar);
        assertNull(spark.sql("SELECT hydragen_complete(CAST(NULL AS STRING), map('model', 'synthetic:tiny'))").first().get(0));
        // 'caf' + a lone Latin-1 byte E9: a cast keeps the bytes, which are not UTF-8
        assertNull(spark.sql("SELECT hydragen_complete(CAST(unhex('636166E920') AS STRING), map('model', 'synthetic:tiny'))").first().get(0));
        assertNotNull(spark.sql("SELECT hydragen_complete(CAST(unhex('636166C3A920') AS STRING), map('model', 'synthetic:tiny', 'max_new_tokens', '2'))").first().get(0),
                "the same prompt in UTF-8 is completed");
        assertNull(spark.sql("SELECT hydragen_score(CAST(unhex('636166E920') AS STRING), array(' a', ' b'), map('model', 'synthetic:tiny'))").first().get(0));
        List<Row> perRow = spark.sql("SELECT id, hydragen_complete(prompt, map('model', 'synthetic:tiny', 'max_new_tokens', '3')) "
                + "FROM sql_prompts WHERE id < 2").collectAsList();
        assertEquals(2, perRow.size());
        for (Row r : perRow) assertNotNull(r.get(1));
    }

    @Test
    void aRepeatedPrefixOfScalarCompletionsIsNotPrefilledAgain() {
        io.hydragen.spark.plugin.HydragenMetrics m = io.hydragen.spark.plugin.HydragenMetrics.get();
        String context = "You are a support agent for a bicycle shop. Be brief, polite and accurate. The shop opens at nine. ";
        spark.sql("SELECT hydragen_complete('" + context + "Q: When do you open?', map('model', 'synthetic:tiny', 'max_new_tokens', '2'))").collect();
        long prompt0 = m.promptTokens.getCount(), prefilled0 = m.prefilledTokens.getCount();
        spark.sql("SELECT hydragen_complete('" + context + "Q: Do you fix brakes?', map('model', 'synthetic:tiny', 'max_new_tokens', '2'))").collect();
        long prompt = m.promptTokens.getCount() - prompt0, prefilled = m.prefilledTokens.getCount() - prefilled0;
        assertTrue(prompt > context.length() / 2, "prompt tokens " + prompt);
        assertTrue(prefilled < prompt - context.length() / 2, "prefilled " + prefilled + " of " + prompt + " prompt tokens");
    }

    static String rootMessage(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) sb.append(c.getMessage()).append(" | ");
        return sb.toString();
    }
}
