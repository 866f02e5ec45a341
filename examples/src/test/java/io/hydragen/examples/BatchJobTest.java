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
import java.util.Map;
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

    record Run(int code, String out, String err) {}

    /** Runs the job in this JVM as {@code main} would, capturing its exit status, stdout and stderr. */
    static Run runCapturing(String... args) {
        PrintStream savedOut = System.out, savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = BatchJob.commandLine().execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    @Test
    void sqlStatementsRunInOrderWithTheFlagsAsDefaults() {
        Path out = tmp.resolve("sql-view");
        Run r = runCapturing("--master", "local[2]", "--input", data + "/fewshot_classification.jsonl", "--output", out.toString(), "--format", "jsonl",
                "--max-tokens", "3", "--ignore-eos", "--sql",
                "CREATE TEMPORARY VIEW v USING hydragen OPTIONS (path '" + data + "/fewshot_classification.jsonl', model 'synthetic:tiny');\n"
                        + "-- the flags are the view's defaults; a query's own arguments win\n"
                        + "SELECT * FROM v WHERE id < 'review-05';  SELECT id, completion_tokens FROM hydragen_generate("
                        + "TABLE(SELECT * FROM prompts WHERE id < 'review-03'), 'max_new_tokens', 2);");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("rows: 3 (0 errors), samples: 3"), r.out());
        assertTrue(r.out().contains("generated tokens: 6 "), "the query's max_new_tokens wins: " + r.out());
        assertTrue(r.out().contains("output: " + out + " (jsonl, 3 rows)"), r.out());

        Path out2 = tmp.resolve("sql-view-2");
        r = runCapturing("--master", "local[2]", "--output", out2.toString(), "--max-tokens", "3", "--ignore-eos", "--sql",
                "CREATE TEMPORARY VIEW v2 USING hydragen OPTIONS (path '" + data + "/fewshot_classification.jsonl', model 'synthetic:tiny');"
                        + "SELECT * FROM v2 WHERE id < 'review-05'");
        assertEquals(0, r.code(), r.err());
        // the source generates every row of its table (a filter is not pushed into it); 5 rows are written
        assertTrue(r.out().contains("rows: 20 (0 errors), samples: 20"), r.out());
        assertTrue(r.out().contains("generated tokens: 60 "), "--max-tokens is the view's default: " + r.out());
        assertTrue(r.out().contains("(parquet, 5 rows)"), r.out());

        // the same output again: refused before anything runs, naming --overwrite
        r = runCapturing("--master", "local[1]", "--output", out2.toString(), "--sql", "SELECT 1 AS x");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("already exists: pass --overwrite"), r.err());
    }

    @Test
    void aSqlErrorPrintsSparksWholeMessageAndAllRowsFailingIsAFailedRun() {
        Run r = runCapturing("--master", "local[1]", "--output", tmp.resolve("bad-sql").toString(), "--sql", "SELEC id FROM prompts");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("hydragen-batch: error: [PARSE_SYNTAX_ERROR]"), r.err());
        assertTrue(r.err().contains("SELEC"), r.err());

        // a job that fails while writing leaves no output folder behind
        Path failed = tmp.resolve("failed-job");
        r = runCapturing("--master", "local[1]", "--output", failed.toString(), "--sql", "SELECT raise_error('boom') AS x FROM prompts");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("boom"), r.err());
        assertTrue(r.err().contains("the job failed; nothing was written to " + failed), r.err());
        assertFalse(Files.exists(failed), "nothing left at " + failed);

        r = runCapturing("--master", "local[1]", "--output", tmp.resolve("all-errors").toString(), "--sql",
                "SELECT * FROM hydragen_generate(TABLE(SELECT id, CAST(NULL AS STRING) AS prompt FROM prompts))");
        assertEquals(BatchJob.TOO_MANY_ERRORS, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("rows failed"), r.err());
        assertTrue(r.out().matches("(?s).*error \\(\\d+ rows\\): prompt is null.*"), "the most frequent error: " + r.out());
    }

    @Test
    void theSummaryCountsAPromptThatIsNotUtf8UnderItsOwnReason() {
        // unhex('E9'): a Latin-1 byte alone, which is not UTF-8; CAST keeps the bytes (as parquet input does)
        Run r = runCapturing("--master", "local[1]", "--input", data + "/fewshot_classification.jsonl", "--output", tmp.resolve("not-utf8").toString(), "--sql",
                "SELECT * FROM hydragen_generate(TABLE(SELECT id, CASE WHEN id = 'review-00' THEN CAST(unhex('E9') AS STRING) "
                        + "WHEN id = 'review-01' THEN CAST(NULL AS STRING) ELSE prompt END AS prompt FROM prompts "
                        + "WHERE id < 'review-03'), 'max_new_tokens', 2)");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("rows: 3 (2 errors)"), r.out());
        assertTrue(r.out().contains("error (1 rows): " + io.hydragen.spark.exec.Utf8Prompts.MESSAGE), r.out());
        assertTrue(r.out().contains("error (1 rows): prompt is null"), "a null prompt keeps its own reason: " + r.out());
    }

    @Test
    void aTruncatedCheckpointIsOneLineBeforeAnyTask() throws Exception {
        Path model = tmp.resolve("broken-model");
        try (io.hydragen.model.Model m = io.hydragen.model.ModelLoader.load("synthetic:tiny")) {
            io.hydragen.model.ModelExporter.saveHuggingFace(m, model, io.hydragen.model.DType.F32);
        }
        Path weights = model.resolve("model.safetensors");
        try (var ch = java.nio.channels.FileChannel.open(weights, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        Run r = runCapturing("--master", "local[1]", "--model", model.toString(), "--output", tmp.resolve("never").toString());
        assertEquals(1, r.code());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("hydragen-batch: error:")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).contains("model.safetensors"), errors.get(0));
        assertFalse(Files.exists(tmp.resolve("never")), "no output is left behind");
    }

    @Test
    void aMalformedJsonLineIsAnErrorRowSayingSo() throws Exception {
        Path in = Files.write(tmp.resolve("malformed.jsonl"), List.of("{\"id\": \"a\", \"prompt\": \"Hello there\"}",
                "{\"id\": \"b\", \"prompt\": ", "{\"id\": \"c\", \"prompt\": \"General Kenobi\"}"));
        Path out = tmp.resolve("malformed-out");
        Run r = runCapturing("--master", "local[1]", "--input", in.toString(), "--output", out.toString(), "--format", "jsonl",
                "--max-new-tokens", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("rows: 3 (1 errors)"), r.out());
        assertTrue(r.out().contains("prompt tokens (answered rows): 27,"), "BOS + bytes of the two good prompts: " + r.out());
        List<String> lines = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) lines.addAll(Files.readAllLines(p));
        }
        assertEquals(3, lines.size());
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"error\":\"not valid JSON: {\\\"id\\\": \\\"b\\\"")), String.join("\n", lines));
    }

    @Test
    void eachRowRecordsItsSeedByTheClisRuleAndAMalformedLineSaysSoThroughTheDataSource() throws Exception {
        Path out = tmp.resolve("seeded");
        Run r = runCapturing("--master", "local[1]", "--input", data + "/samples_per_prompt.jsonl", "--output", out.toString(),
                "--format", "jsonl", "--max-new-tokens", "2", "--temperature", "1.0", "--seed", "5", "--id-column", "id");
        assertEquals(0, r.code(), r.err());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> lines = jsonLines(out);
        assertFalse(lines.isEmpty());
        for (String l : lines) {
            var row = json.readTree(l);
            assertEquals(io.hydragen.seed.RowSeeds.forId(5, row.get("id").asText()), row.get("seed").asLong(), l);
        }

        // the DataSource from --sql: the malformed line is an error row saying so, and the summary counts that message
        Path in = Files.write(tmp.resolve("malformed-sql.jsonl"), List.of("{\"id\": \"a\", \"prompt\": \"Hello there\"}",
                "{\"id\": \"b\", \"prompt\": ", "{\"id\": \"c\", \"prompt\": \"General Kenobi\"}"));
        Path out2 = tmp.resolve("malformed-sql-out");
        r = runCapturing("--master", "local[1]", "--output", out2.toString(), "--format", "jsonl", "--max-new-tokens", "2", "--sql",
                "CREATE TEMPORARY VIEW m USING hydragen OPTIONS (path '" + in + "'); SELECT * FROM m");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("rows: 3 (1 errors)"), r.out());
        assertTrue(r.out().contains("not valid JSON: {\"id\": \"b\""), "the summary's error message: " + r.out());
        lines = jsonLines(out2);
        assertEquals(3, lines.size());
        var bad = lines.stream().map(l -> { try { return json.readTree(l); } catch (java.io.IOException e) { throw new AssertionError(e); } })
                .filter(n -> n.get("finish_reason").asText().equals("error")).toList();
        assertEquals(1, bad.size(), lines.toString());
        assertEquals("not valid JSON: {\"id\": \"b\", \"prompt\": ", bad.get(0).get("error").asText());
        assertTrue(bad.get(0).get("seed").isNull(), "the line never reached the engine: " + bad.get(0));
    }

    static List<String> jsonLines(Path dir) throws java.io.IOException {
        List<String> lines = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) lines.addAll(Files.readAllLines(p));
        }
        return lines;
    }

    @Test
    void splitsStatementsLikeTheSparkSqlShell() {
        assertEquals(List.of("SELECT ';' AS a", "SELECT `x;y` FROM t", "SELECT 'it\\'s; ok'"),
                SqlStatements.split("SELECT ';' AS a; -- a comment; here\nSELECT `x;y` FROM t /* ; */;;\n SELECT 'it\\'s; ok';"));
    }

    @Test
    void versionAndHelp() {
        Run r = runCapturing("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("hydragen-batch ") && r.out().contains("Spark 4."), r.out());
        Run help = runCapturing("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--max-error-fraction") && help.out().contains("--max-tokens") && !help.out().contains("\u001b["), help.out());
        for (var o : new CommandLine(new BatchJob()).getCommandSpec().options()) {
            assertTrue(o.description().length > 0 && !String.join(" ", o.description()).isBlank(), o.longestName() + " has no description");
            if (o.defaultValue() != null) assertTrue(String.join(" ", o.description()).contains("default"), o.longestName() + " hides its default");
        }
    }

    @Test
    void theSchedulerFlagReachesTheOptionsAndTheSqlDefaults() {
        BatchJob job = new BatchJob();
        new CommandLine(job).parseArgs("--scheduler", "continuous");
        assertEquals(io.hydragen.generate.Scheduler.CONTINUOUS, job.options().schedulerKind());
        assertEquals("continuous", job.sqlDefaults().get(io.hydragen.spark.api.OptionKeys.SCHEDULER));
        BatchJob plain = new BatchJob();
        new CommandLine(plain).parseArgs();
        assertEquals(io.hydragen.generate.Scheduler.DEFAULT, plain.options().schedulerKind(), "one default for the CLI, the job and Spark");
        assertTrue(!plain.sqlDefaults().containsKey(io.hydragen.spark.api.OptionKeys.SCHEDULER), "unset: a statement's session default applies");
    }

    @Test
    void sessionDefaultsReachTheInputPathBelowTheFlagsGiven() {
        BatchJob job = new BatchJob();
        new CommandLine(job).parseArgs("--temperature", "0.2", "--seed", "5");
        // as from --conf spark.hydragen.defaults.max_new_tokens=3 --conf spark.hydragen.defaults.temperature=0.9
        var o = job.options(Map.of("max_new_tokens", "3", "temperature", "0.9", "top_k", "7"));
        assertEquals(3, o.maxNewTokens(), "a session default the command line leaves alone applies");
        assertEquals(7, o.topK());
        assertEquals(0.2, o.temperature(), "a flag given on the command line wins over the session default");
        assertEquals(5L, o.seed());
        assertEquals("synthetic:tiny", o.model());
        assertEquals(job.options(), job.options(Map.of()), "no session defaults: the flags alone");
    }

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
        // every row of every part (the listing order is the file system's: no part is "the first")
        for (String line : jsonLines(out)) assertTrue(line.contains("\"error\":null"), "every field in every jsonl row: " + line);
    }

    @Test
    void samplesPerPromptWithSqlToParquet() {
        Path out = tmp.resolve("sql");
        String summary = run("--master", "local[2]", "--input", data + "/samples_per_prompt.jsonl", "--output", out.toString(),
                "--sql", "SELECT id, completion, finish_reason, prompt_tokens, completion_tokens, shared_prompt_tokens, sample_index "
                        + "FROM hydragen_generate(TABLE(SELECT * FROM prompts WHERE id < 's-06'), 'max_new_tokens', 4, "
                        + "'temperature', 1.0, 'n', 2, 'ignore_eos', true)");
        assertTrue(summary.contains("rows: 6 (0 errors), samples: 12"), summary);
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
