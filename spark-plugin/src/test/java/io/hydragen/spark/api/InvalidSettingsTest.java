package io.hydragen.spark.api;

import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Settings that would give garbage or be silently ignored fail at analysis, before any task, with a message naming
 * the option: through Hydragen.generate, hydragen_generate, hydragen_complete and the DataSource alike.
 */
class InvalidSettingsTest {
    static SparkSession spark;
    static Dataset<Row> prompts;
    static String jsonl;
    @TempDir
    static Path tmp;

    /** (option, bad value, word the message must contain) */
    static final List<String[]> BAD = List.of(
            new String[]{"attention", "none", "attention"},
            new String[]{"temperature", "NaN", "temperature"},
            new String[]{"temperature", "-1", "temperature"},
            new String[]{"temperature", "Infinity", "temperature"},
            new String[]{"top_p", "0", "top_p"},
            new String[]{"top_p", "1.5", "top_p"},
            new String[]{"top_k", "-3", "top_k"},
            new String[]{"max_new_tokens", "-1", "max_new_tokens"});

    @BeforeAll
    static void start() throws Exception {
        spark = TestSpark.shared();
        prompts = spark.createDataFrame(List.of(RowFactory.create("Hello there")), new StructType().add("prompt", DataTypes.StringType));
        prompts.createOrReplaceTempView("invalid_prompts");
        Path p = tmp.resolve("p.jsonl");
        Files.writeString(p, "{\"prompt\":\"Hello there\"}\n");
        jsonl = p.toString();
    }

    @Test
    void theDataFrameApiRefusesThem() {
        for (String[] b : BAD) {
            assertFails(b[2], () -> Hydragen.generate(prompts, GenerateOptions.fromMap(
                    java.util.Map.of("model", "synthetic:tiny", b[0], b[1]), null)));
        }
        assertFails("attention", () -> Hydragen.generate(prompts, GenerateOptions.builder("synthetic:tiny").attention("none").build()));
        assertFails("temperature", () -> GenerateOptions.builder("synthetic:tiny").temperature(Double.NaN).build());
    }

    @Test
    void theTableFunctionRefusesThem() {
        for (String[] b : BAD) {
            assertFails(b[2], () -> spark.sql("SELECT * FROM hydragen_generate(TABLE(invalid_prompts), 'model', 'synthetic:tiny', '"
                    + b[0] + "', '" + b[1] + "')"));
        }
    }

    @Test
    void theScalarFunctionRefusesThem() {
        for (String[] b : BAD) {
            assertFails(b[2], () -> spark.sql("SELECT hydragen_complete(prompt, map('model', 'synthetic:tiny', '"
                    + b[0] + "', '" + b[1] + "')) FROM invalid_prompts"));
        }
    }

    @Test
    void theDataSourceRefusesThemAndUnknownKeys() {
        for (String[] b : BAD) {
            assertFails(b[2], () -> spark.read().format("hydragen").option("model", "synthetic:tiny").option(b[0], b[1]).load(jsonl));
        }
        String m = assertFails("max_new_token", () -> spark.read().format("hydragen").option("model", "synthetic:tiny")
                .option("max_new_token", "3").load(jsonl));
        assertTrue(m.contains("did you mean 'max_new_tokens'?"), m);
        assertFails("did you mean 'header'", () -> spark.read().format("hydragen").option("model", "synthetic:tiny")
                .option("headr", "true").load(jsonl));
    }

    @Test
    void readerOptionsArePassedExplicitly() throws Exception {
        Path csv = tmp.resolve("p.csv");
        Files.writeString(csv, "id;prompt\n1;Hello there\n2;How are you\n");
        List<Row> rows = spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "2")
                .option("reader.sep", ";").option("header", "true").load(csv.toString()).collectAsList();
        assertEquals(2, rows.size());
        assertEquals(List.of("id", "prompt", "completion", "finish_reason", "error", "prompt_tokens", "completion_tokens",
                "shared_prompt_tokens", "seed"), List.of(rows.get(0).schema().fieldNames()));
    }

    /** Asserts the call fails and some message in its cause chain contains {@code expected}; returns the chain. */
    static String assertFails(String expected, Executable call) {
        Throwable t = assertThrows(Exception.class, call);
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) sb.append(c.getMessage()).append(" | ");
        assertTrue(sb.toString().contains(expected), "expected a message naming " + expected + ", got: " + sb);
        return sb.toString();
    }
}
