package io.hydragen.examples;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The batch job end to end on local[2]: the bundled samples, jsonl and parquet output, --sql, and its summary. */
class BatchJobTest {
    @TempDir
    static Path tmp;
    static String data;

    @BeforeAll
    static void locate() { data = System.getProperty(BatchJob.DATA_DIR_PROPERTY, "data"); }

    @AfterAll
    static void cleanup() { SparkSession.clearDefaultSession(); }

    /** Runs the job in this JVM and returns what it printed on stdout. */
    static String run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new BatchJob()).execute(args);
            assertEquals(0, code, "exit code");
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void completesTheFewShotSampleToJsonLinesAndSummarises() throws Exception {
        Path out = tmp.resolve("fewshot");
        String summary = run("--master", "local[2]", "--input", data + "/fewshot_classification.jsonl", "--output", out.toString(),
                "--format", "jsonl", "--max-new-tokens", "3", "--ignore-eos");
        assertTrue(summary.contains("rows: 20 (0 errors)"), summary);
        assertTrue(summary.contains("generated tokens: 60 "), summary);
        assertTrue(summary.matches("(?s).*of which shared: \\d+ \\((9\\d|8\\d)\\.\\d%\\).*"), "the few-shot block is shared: " + summary);
        long lines;
        try (Stream<Path> files = Files.list(out)) {
            lines = files.filter(p -> p.getFileName().toString().endsWith(".json")).mapToLong(p -> {
                try {
                    return Files.readAllLines(p).size();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        }
        assertEquals(20, lines);
    }

    @Test
    void samplesPerPromptWithSqlToParquet() {
        Path out = tmp.resolve("sql");
        String summary = run("--master", "local[2]", "--input", data + "/samples_per_prompt.jsonl", "--output", out.toString(),
                "--sql", "SELECT id, completion, finish_reason, prompt_tokens, completion_tokens, shared_prompt_tokens, sample_index "
                        + "FROM hydragen_generate(TABLE(SELECT * FROM prompts WHERE id < 's-06'), 'max_new_tokens', 4, "
                        + "'temperature', 1.0, 'n', 2, 'ignore_eos', true)");
        assertTrue(summary.contains("rows: 12 (0 errors)"), summary);
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
            assertEquals(12, rows.size());
            assertEquals(2, rows.stream().map(r -> r.getAs("sample_index")).distinct().count());
        } finally {
            spark.stop();
        }
    }

    @Test
    void aMissingModelIsAOneLineError() {
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new BatchJob()).setExecutionExceptionHandler((e, cmd, parsed) -> {
                cmd.getErr().println("hydragen-batch: error: " + BatchJob.rootMessage(e));
                return 1;
            }).execute("--master", "local[1]", "--model", tmp.resolve("no-model").toString(), "--output", tmp.resolve("x").toString());
        } finally {
            System.setErr(savedErr);
        }
        assertEquals(1, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("model not found: " + tmp.resolve("no-model")), err.toString());
    }
}
