package io.hydragen.examples;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.spark.api.OptionKeys;
import io.hydragen.spark.plugin.EngineTotals;
import io.hydragen.spark.plugin.HydragenConf;
import io.hydragen.spark.api.PromptTables;
import io.hydragen.spark.kryo.HydragenKryoRegistrator;
import io.hydragen.spark.plugin.HydragenPlugin;
import io.hydragen.spark.sql.HydragenSqlExtensions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The batch job: completes a prompt table with Spark and writes the completions, then prints a summary.
 * Run through {@code bin/hydragen-batch} (local Spark) or {@code spark-submit --class io.hydragen.examples.BatchJob}.
 * With no arguments it completes the bundled sample table with the built-in synthetic demo model on {@code local[*]}.
 */
@Command(name = "hydragen-batch", mixinStandardHelpOptions = true, sortOptions = false, versionProvider = BatchJob.Version.class,
        description = {"Complete a prompt table (jsonl, parquet or csv; a file or a directory) with Spark, prefix-aware.",
                "Output: every input column plus completion, finish_reason, error, prompt_tokens, completion_tokens,",
                "shared_prompt_tokens, seed (the seed the row sampled with; null where the row never reached the engine)",
                "(and sample_index with --n > 1)."})
public final class BatchJob implements Callable<Integer> {
    static final String DATA_DIR_PROPERTY = "hydragen.examples.data";

    @Option(names = "--input", paramLabel = "FILE|DIR", description = "Prompt table (default: the bundled long-document sample).")
    String input;

    @Option(names = "--input-format", paramLabel = "F", description = "parquet, jsonl or csv (default: from the file names).")
    String inputFormat;

    @Option(names = "--output", paramLabel = "DIR", description = "Output directory (default: examples/target/batch-output, replaced).")
    String output;

    @Option(names = "--format", defaultValue = "parquet", paramLabel = "F", description = "parquet or jsonl (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--overwrite", description = "Replace --output if it exists.")
    boolean overwrite;

    @Option(names = "--model", defaultValue = "synthetic:tiny", paramLabel = "M",
            description = "Model directory (local, file://, hdfs://, s3a://) or synthetic:NAME (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default local[*]; under spark-submit, its master).")
    String master;

    @Option(names = "--prompt-column", defaultValue = "prompt", paramLabel = "C", description = "Column with the prompt (default ${DEFAULT-VALUE}).")
    String promptColumn;

    @Option(names = "--id-column", paramLabel = "C", description = "Column whose value identifies a row for its seed (default: prompt text + duplicate ordinal).")
    String idColumn;

    @Option(names = "--prefix-columns", split = ",", paramLabel = "A,B", description = "Prefix columns, outermost first (default: automatic routing).")
    List<String> prefixColumns = new ArrayList<>();

    @Option(names = "--sql", paramLabel = "QUERY",
            description = {"Run these statements instead of the default pipeline, in order, separated by ';'; the last one's result is written.",
                    "The input is the view 'prompts'; hydragen_generate, hydragen_complete and USING hydragen are available, and the",
                    "generation flags given on this command line are their defaults (spark.hydragen.defaults.*): a query's own arguments win."})
    String sql;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark configuration property, as spark-submit's --conf; repeatable.")
    List<String> conf = new ArrayList<>();

    @Option(names = "--max-error-fraction", defaultValue = "1.0", paramLabel = "F",
            description = "Exit with status 3 when more than this fraction of the rows are errors, or when every row is (default ${DEFAULT-VALUE}).")
    double maxErrorFraction;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"--max-new-tokens", "--max-tokens"}, defaultValue = "16", paramLabel = "N", description = "New tokens per sample at most (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0 = greedy (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "0 = all (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Nucleus mass in (0, 1] (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", paramLabel = "S", description = {"Run seed: each row's seed is derived from S and the row's --id-column value",
            "(else its prompt and its ordinal among equal prompts), as bin/hydragen generate does (default: a fresh run seed, printed)."})
    Long seed;

    @Option(names = "--same-seed-every-row",
            description = "Use --seed as is for every row, as vLLM does with one seed (default: a seed per row from --seed and the row's identity).")
    boolean sameSeedEveryRow;

    @Option(names = "--n", defaultValue = "1", paramLabel = "N", description = "Samples per prompt (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop string; repeatable.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--stop-token-id", paramLabel = "ID", description = "Stop token id; repeatable.")
    List<Integer> stopTokenIds = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating after an end-of-sequence token.")
    boolean ignoreEos;

    @Option(names = "--attention", defaultValue = "hydragen", paramLabel = "MODE", description = "hydragen, per-sequence or per-sequence-shared-kv (default ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "B", description = "auto (GPU when Spark assigned one), cpu or cuda (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--min-shared-tokens", defaultValue = "16", paramLabel = "N", description = "Shortest shared segment (default ${DEFAULT-VALUE}).")
    int minSharedTokens;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N", description = "Rows per engine batch, as bin/hydragen generate's --batch-size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--scheduler", paramLabel = "S",
            description = "static or continuous, as bin/hydragen generate's --scheduler (default: the engine's, Scheduler.DEFAULT: static).")
    String scheduler;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N", description = "Generation tasks; 0 = one per executor (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Engine CPU threads per executor (spark.hydragen.threads); 0 = the executor's cores (default ${DEFAULT-VALUE}).")
    int threads;

    /** Exit status of a run whose error rows exceed {@code --max-error-fraction}. */
    static final int TOO_MANY_ERRORS = 3;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling: one message on stderr (Spark's whole message for a SQL error), status 1. */
    static CommandLine commandLine() {
        boolean colour = System.console() != null && System.getenv("NO_COLOR") == null;
        return new CommandLine(new BatchJob())
                .setColorScheme(CommandLine.Help.defaultColorScheme(colour ? CommandLine.Help.Ansi.AUTO : CommandLine.Help.Ansi.OFF))
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("hydragen-batch: error: " + errorMessage(e));
            return 1;
        });
    }

    @Override
    public Integer call() {
        GenerateOptions options = options();
        String in = input != null ? input : Path.of(System.getProperty(DATA_DIR_PROPERTY, "examples/data"), "long_document_questions.jsonl").toString();
        boolean defaultOutput = output == null;
        String out = defaultOutput ? Path.of(System.getProperty("hydragen.examples.output", "examples/target/batch-output")).toString() : output;
        if (!format.equals("parquet") && !format.equals("jsonl")) throw new IllegalArgumentException("--format must be parquet or jsonl, got '" + format + "'");
        if (!(maxErrorFraction >= 0 && maxErrorFraction <= 1)) throw new IllegalArgumentException("--max-error-fraction must be in [0, 1], got " + maxErrorFraction);
        List<String> statements = sql == null ? List.of() : SqlStatements.split(sql);
        if (sql != null && statements.isEmpty()) throw new IllegalArgumentException("--sql holds no statement");

        SparkSession spark = session();
        try {
            checkOutput(spark, out, overwrite || defaultOutput);
            String ui = spark.sparkContext().uiWebUrl().isDefined() ? spark.sparkContext().uiWebUrl().get() : null;
            System.err.println("hydragen-batch: " + in + " -> " + out + " (" + format + ", model " + model + ", master "
                    + spark.sparkContext().master() + (ui != null ? ", Spark UI " + ui : "") + ")");
            Dataset<Row> prompts = PromptTables.read(spark, in, inputFormat, Map.of());
            Dataset<Row> result;
            if (sql != null) {
                prompts.createOrReplaceTempView("prompts");
                spark.conf().set("spark.hydragen.model", model);
                sqlDefaults().forEach((k, v) -> spark.conf().set(HydragenConf.DEFAULTS_PREFIX + k, v));
                result = null;
                for (String statement : statements) result = spark.sql(statement);
                if (result.columns().length == 0) {
                    throw new IllegalArgumentException("the last statement of --sql returns no rows to write (it must be a query): "
                            + statements.get(statements.size() - 1));
                }
            } else {
                result = Hydragen.generate(prompts, options(HydragenConf.sessionDefaults(spark.sessionState().conf())));
            }
            long t0 = System.nanoTime();
            EngineTotals.Counts before = EngineTotals.snapshot();
            var writer = result.write().mode(overwrite || defaultOutput ? SaveMode.Overwrite : SaveMode.ErrorIfExists);
            org.apache.hadoop.fs.Path outPath = new org.apache.hadoop.fs.Path(out);
            org.apache.hadoop.fs.FileSystem fs = fileSystem(spark, outPath);
            boolean existed = exists(fs, outPath);
            // the table's row count is for the progress line only: counted by a job of its own beside the generation
            // (a second task slot is idle while the driver plans and the task loads the model), not before it
            java.util.concurrent.CompletableFuture<Long> rowCount = sql == null
                    ? java.util.concurrent.CompletableFuture.supplyAsync(prompts::count) : null;
            java.util.function.LongSupplier totalRows = () -> rowCount != null && rowCount.isDone()
                    && !rowCount.isCompletedExceptionally() ? rowCount.join() : -1;
            try (BatchProgress progress = new BatchProgress(System.err, Boolean.getBoolean("hydragen.stderr.tty"), totalRows)) {
                // every column in every line, null where empty (Spark's JSON writer drops null fields by default)
                if (format.equals("jsonl")) writer.option("ignoreNullFields", "false").json(out);
                else writer.parquet(out);
            } catch (RuntimeException e) {
                // Spark's commit protocol already removed the task files (_temporary) and wrote no _SUCCESS; remove
                // the folder this run created too, so a failed run leaves nothing that looks like output
                try {
                    if (!existed && exists(fs, outPath)) fs.delete(outPath, true);
                    // say what is on disk, so a scheduler's log tells whether anything needs cleaning up
                    System.err.println("hydragen-batch: the job failed; " + (existed
                            ? out + " was being replaced: its earlier contents may be gone, and no new output was committed"
                            : "nothing was written to " + out));
                } catch (java.io.IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            JobSummary summary = JobSummary.of(EngineTotals.snapshot().minus(before), seconds);
            System.out.println(summary.format());
            System.out.println("seed: " + runSeed() + (seed == null ? " (drawn for this run; --seed " + runSeed() + " repeats it)" : ""));
            Dataset<Row> written = format.equals("jsonl") ? spark.read().json(out) : spark.read().parquet(out);
            System.out.println("output: " + out + " (" + format + ", " + written.count() + " rows)");
            System.out.println("first rows:");
            for (String line : written.limit(3).toJSON().collectAsList()) {
                System.out.println("  " + (line.length() > 300 ? line.substring(0, 300) + "..." : line));
            }
            if (summary.rows() > 0 && (summary.errors() == summary.rows() || summary.errors() > maxErrorFraction * summary.rows())) {
                System.err.println("hydragen-batch: error: " + summary.errors() + " of " + summary.rows() + " rows failed"
                        + (summary.errors() == summary.rows() ? "" : ", more than --max-error-fraction " + maxErrorFraction));
                return TOO_MANY_ERRORS;
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    private static org.apache.hadoop.fs.FileSystem fileSystem(SparkSession spark, org.apache.hadoop.fs.Path p) {
        try {
            return p.getFileSystem(spark.sparkContext().hadoopConfiguration());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean exists(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path p) {
        try {
            return fs.exists(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** An existing output is refused before anything runs, naming the flag that replaces it. */
    private static void checkOutput(SparkSession spark, String out, boolean replace) {
        if (replace) return;
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(out);
            if (p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                throw new IllegalArgumentException("--output " + out + " already exists: pass --overwrite to replace it");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The generation flags given on the command line, as option keys: the defaults of the --sql statements' calls. */
    Map<String, String> sqlDefaults() {
        Map<String, String> d = new java.util.LinkedHashMap<>();
        var parsed = spec == null ? null : spec.commandLine().getParseResult();
        java.util.function.Predicate<String> given = name -> parsed != null && parsed.hasMatchedOption(name);
        if (given.test("--prompt-column")) d.put(OptionKeys.PROMPT_COLUMN, promptColumn);
        if (given.test("--id-column")) d.put(OptionKeys.ID_COLUMN, idColumn);
        if (given.test("--prefix-columns")) d.put(OptionKeys.PREFIX_COLUMNS, json(prefixColumns));
        if (given.test("--max-new-tokens")) d.put(OptionKeys.MAX_NEW_TOKENS, Integer.toString(maxNewTokens));
        if (given.test("--temperature")) d.put(OptionKeys.TEMPERATURE, Double.toString(temperature));
        if (given.test("--top-k")) d.put(OptionKeys.TOP_K, Integer.toString(topK));
        if (given.test("--top-p")) d.put(OptionKeys.TOP_P, Double.toString(topP));
        d.put(OptionKeys.SEED, Long.toString(runSeed()));
        if (given.test("--same-seed-every-row")) d.put(OptionKeys.PER_ROW_SEEDS, Boolean.toString(!sameSeedEveryRow));
        if (given.test("--n")) d.put(OptionKeys.N, Integer.toString(n));
        if (given.test("--stop")) d.put(OptionKeys.STOP, json(stop));
        if (given.test("--stop-token-id")) d.put(OptionKeys.STOP_TOKEN_IDS, json(stopTokenIds.stream().map(String::valueOf).toList()));
        if (given.test("--ignore-eos")) d.put(OptionKeys.IGNORE_EOS, Boolean.toString(ignoreEos));
        if (given.test("--attention")) d.put(OptionKeys.ATTENTION, attention);
        if (given.test("--backend")) d.put(OptionKeys.BACKEND, backend);
        if (given.test("--min-shared-tokens")) d.put(OptionKeys.MIN_SHARED_TOKENS, Integer.toString(minSharedTokens));
        if (given.test("--batch-size")) d.put(OptionKeys.BATCH_SIZE, Integer.toString(batchSize));
        if (given.test("--partitions")) d.put(OptionKeys.PARTITIONS, Integer.toString(partitions));
        if (given.test("--scheduler")) d.put(OptionKeys.SCHEDULER, scheduler);
        return d;
    }

    private static String json(List<String> items) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(items);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private Long drawnSeed;

    /** --seed, else one fresh seed for the run (printed with the summary, so the run can be repeated). */
    long runSeed() {
        if (seed != null) return seed;
        if (drawnSeed == null) drawnSeed = new java.security.SecureRandom().nextLong();
        return drawnSeed;
    }

    /**
     * The options of the {@code --input} path: a flag given on the command line wins, then the session's
     * {@code spark.hydragen.defaults.*} (from {@code --conf} or spark-defaults.conf), then the built-in defaults, which
     * are {@link GenerateOptions}' own (the flags' defaults are the same values) - as the {@code --sql} path resolves them.
     */
    GenerateOptions options(Map<String, String> sessionDefaults) {
        if (sessionDefaults.isEmpty()) return options();
        Map<String, String> given = sqlDefaults();
        var parsed = spec == null ? null : spec.commandLine().getParseResult();
        if (parsed != null && parsed.hasMatchedOption("--model")) given.put(OptionKeys.MODEL, model);
        return GenerateOptions.fromMap(HydragenConf.withDefaults(sessionDefaults, given), model);
    }

    GenerateOptions options() {
        return GenerateOptions.builder(model).promptColumn(promptColumn).idColumn(idColumn).prefixColumns(prefixColumns)
                .maxNewTokens(maxNewTokens).temperature(temperature).topK(topK).topP(topP).seed(runSeed())
                .perRowSeeds(!sameSeedEveryRow).n(n).stop(stop).stopTokenIds(stopTokenIds).ignoreEos(ignoreEos)
                .attention(attention).backend(backend).minSharedTokens(minSharedTokens).batchSize(batchSize)
                .partitions(partitions).scheduler(scheduler).build();
    }

    private SparkSession session() {
        SparkSession.Builder b = SparkSession.builder().appName("hydragen-batch")
                .config("spark.plugins", HydragenPlugin.class.getName())
                .config("spark.sql.extensions", HydragenSqlExtensions.class.getName())
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", HydragenKryoRegistrator.class.getName())
                .config("spark.ui.showConsoleProgress", "false");
        // engine threads are an executor setting; 0 leaves the default (the executor's cores)
        if (threads > 0) b.config("spark.hydragen.threads", Integer.toString(threads));
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--conf takes KEY=VALUE, got '" + kv + "'");
            b.config(kv.substring(0, eq).strip(), kv.substring(eq + 1));
        }
        // under spark-submit the master comes from its --master; otherwise a local Spark on every core
        String m = master != null ? master : System.getProperty("spark.master") == null ? "local[*]" : null;
        if (m != null) b.master(m);
        // a local Spark needs no network: keep it on loopback
        if (m != null && m.startsWith("local")) b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        if (m != null && m.startsWith("local-cluster[")) localClusterExecutors(b);
        return b.getOrCreate();
    }

    /**
     * local-cluster[N,C,M] forks executor JVMs the way a standalone worker does, from SPARK_HOME/jars (bin/hydragen-batch
     * points SPARK_HOME at an empty stub): give them this job's class path and this JVM's module flags, unless set.
     */
    private static void localClusterExecutors(SparkSession.Builder b) {
        if (System.getProperty("spark.executor.extraClassPath") == null) b.config("spark.executor.extraClassPath", classPath());
        if (System.getProperty("spark.executor.extraJavaOptions") == null) {
            List<String> flags = new ArrayList<>();
            for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-Djdk.reflect.")
                        || a.startsWith("-Dio.netty.") || a.startsWith("-Dorg.bytedeco.javacpp.")) flags.add(a);
            }
            b.config("spark.executor.extraJavaOptions", String.join(" ", flags));
        }
    }

    /** This JVM's class path as plain entries (a manifest-only jar, as test runners use, is expanded). */
    static String classPath() {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            entries.add(e);
            if (!e.endsWith(".jar") || !e.contains("surefire")) continue;
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(e)) {
                String cp = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Class-Path");
                if (cp != null) {
                    for (String u : cp.trim().split("\\s+")) entries.add(new java.io.File(java.net.URI.create(u)).getPath());
                }
            } catch (java.io.IOException ignored) {
                // not a readable jar: keep the entry as it is
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.toString() : m.strip().lines().findFirst().orElse(m);
    }

    /** Spark's whole message for a SQL error (parse or analysis: its position and suggestions), else the root cause's first line. */
    static String errorMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.apache.spark.sql.AnalysisException && t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage().strip();
            }
        }
        return rootMessage(e);
    }

    /** {@code hydragen-batch --version}: the project's, Spark's and Java's versions. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = BatchJob.class.getPackage().getImplementationVersion();
            return new String[] {
                "hydragen-batch " + (v != null ? v : "0.1.0-SNAPSHOT"),
                "Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ", Java " + System.getProperty("java.version"),
            };
        }
    }
}
