package io.hydragen.examples;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
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
@Command(name = "hydragen-batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Complete a prompt table (jsonl, parquet or csv; a file or a directory) with Spark, prefix-aware.",
                "Output: every input column plus completion, finish_reason, error, prompt_tokens, completion_tokens,",
                "shared_prompt_tokens (and sample_index with --n > 1)."})
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
            description = "Run this query instead of the default pipeline; the input is the view 'prompts', and hydragen_generate / hydragen_complete are available.")
    String sql;

    @Option(names = "--max-new-tokens", defaultValue = "16", paramLabel = "N", description = "New tokens per sample at most (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0 = greedy (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "0 = all (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Nucleus mass in (0, 1] (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--same-seed-every-row",
            description = "Use --seed for every row, like bin/hydragen generate (default: a seed per row from --seed and the row's identity).")
    boolean sameSeedEveryRow;

    @Option(names = "--n", defaultValue = "1", paramLabel = "N", description = "Samples per prompt (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop string; repeatable.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--stop-token-id", paramLabel = "ID", description = "Stop token id; repeatable.")
    List<Integer> stopTokenIds = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating after an end-of-sequence token.")
    boolean ignoreEos;

    @Option(names = "--attention", defaultValue = "hydragen", paramLabel = "MODE", description = "hydragen or per-sequence (default ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "B", description = "auto (GPU when Spark assigned one), cpu or cuda (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--min-shared-tokens", defaultValue = "16", paramLabel = "N", description = "Shortest shared segment (default ${DEFAULT-VALUE}).")
    int minSharedTokens;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N", description = "Rows per engine batch, as bin/hydragen generate's --batch-size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N", description = "Generation tasks; 0 = one per executor (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Engine CPU threads per executor (spark.hydragen.threads); 0 = the executor's cores (default ${DEFAULT-VALUE}).")
    int threads;

    public static void main(String[] args) {
        int code = new CommandLine(new BatchJob())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("hydragen-batch: error: " + rootMessage(e));
                    return 1;
                })
                .execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() {
        GenerateOptions options = options();
        String in = input != null ? input : Path.of(System.getProperty(DATA_DIR_PROPERTY, "examples/data"), "long_document_questions.jsonl").toString();
        boolean defaultOutput = output == null;
        String out = defaultOutput ? Path.of(System.getProperty("hydragen.examples.output", "examples/target/batch-output")).toString() : output;
        if (!format.equals("parquet") && !format.equals("jsonl")) throw new IllegalArgumentException("--format must be parquet or jsonl, got '" + format + "'");

        SparkSession spark = session();
        try {
            Dataset<Row> prompts = PromptTables.read(spark, in, inputFormat, Map.of());
            Dataset<Row> result;
            if (sql != null) {
                prompts.createOrReplaceTempView("prompts");
                spark.conf().set("spark.hydragen.model", model);
                result = spark.sql(sql);
            } else {
                result = Hydragen.generate(prompts, options);
            }
            System.err.println("hydragen-batch: " + in + " -> " + out + " (" + format + ", model " + model + ", master "
                    + spark.sparkContext().master() + ")");
            long t0 = System.nanoTime();
            var writer = result.write().mode(overwrite || defaultOutput ? SaveMode.Overwrite : SaveMode.ErrorIfExists);
            if (format.equals("jsonl")) writer.json(out);
            else writer.parquet(out);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Dataset<Row> written = format.equals("jsonl") ? spark.read().json(out) : spark.read().parquet(out);
            System.out.println(JobSummary.of(written, seconds).format());
            return 0;
        } finally {
            spark.stop();
        }
    }

    GenerateOptions options() {
        return GenerateOptions.builder(model).promptColumn(promptColumn).idColumn(idColumn).prefixColumns(prefixColumns)
                .maxNewTokens(maxNewTokens).temperature(temperature).topK(topK).topP(topP).seed(seed)
                .perRowSeeds(!sameSeedEveryRow).n(n).stop(stop).stopTokenIds(stopTokenIds).ignoreEos(ignoreEos)
                .attention(attention).backend(backend).minSharedTokens(minSharedTokens).batchSize(batchSize)
                .partitions(partitions).build();
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
        return m == null ? t.toString() : m.lines().findFirst().orElse(m);
    }
}
