package io.hydragen.examples;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.spark.kryo.HydragenKryoRegistrator;
import io.hydragen.spark.plugin.HydragenMetrics;
import io.hydragen.spark.plugin.HydragenPlugin;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.rand;

/**
 * Prefix-aware routing against plain partitioning: D documents x Q questions, rows shuffled over P input
 * partitions, completed once with {@code routing=none} (each task batches its own random mix of rows) and once with
 * {@code routing=prefix}. Reports prompt tokens actually prefilled and end-to-end time. A benchmark, not a test; the
 * token counts come from this JVM's engine metrics, so it runs on a local master.
 */
@Command(name = "routing-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Prefix-aware routing vs plain partitioning on documents x questions (local master).")
public final class RoutingBenchmark implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "synthetic:cpu-bench") String model;
    @Option(names = "--master", defaultValue = "local[2]") String master;
    @Option(names = "--docs", defaultValue = "8") int docs;
    @Option(names = "--questions", defaultValue = "64") int questions;
    @Option(names = "--doc-chars", defaultValue = "1000", description = "Document length in characters (the byte tokenizer of synthetic models: about one token each).") int docChars;
    @Option(names = "--input-partitions", defaultValue = "8") int inputPartitions;
    @Option(names = "--max-new-tokens", defaultValue = "8") int maxNewTokens;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--partitions", defaultValue = "0", description = "Routing partitions; 0 = default parallelism.") int partitions;

    public static void main(String[] args) { System.exit(new CommandLine(new RoutingBenchmark()).execute(args)); }

    record Run(String routing, long rows, long promptTokens, long prefilled, long generated, double seconds) {}

    @Override
    public Integer call() {
        SparkSession spark = SparkSession.builder().master(master).appName("routing-bench")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.plugins", HydragenPlugin.class.getName())
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", HydragenKryoRegistrator.class.getName())
                .getOrCreate();
        try {
            Dataset<Row> table = table(spark).orderBy(rand(1)).repartition(inputPartitions).cache();
            table.count();
            GenerateOptions base = GenerateOptions.builder(model).maxNewTokens(maxNewTokens).ignoreEos(true)
                    .batchSize(batchSize).partitions(partitions).backend("cpu").build();
            // load the model before timing anything
            Hydragen.generate(table.limit(1), base.toBuilder().maxNewTokens(1).build()).write().format("noop").mode("overwrite").save();
            List<Run> runs = new ArrayList<>();
            for (String routing : List.of("none", "prefix")) runs.add(run(table, base.toBuilder().routing(routing).build()));
            System.out.printf(Locale.ROOT, "%d documents x %d questions (%d chars each), %d input partitions, %s, model %s, batch %d, %d new tokens%n",
                    docs, questions, docChars, inputPartitions, master, model, batchSize, maxNewTokens);
            System.out.printf(Locale.ROOT, "%-8s %6s %14s %16s %10s %10s %12s%n", "routing", "rows", "prompt tokens", "prefilled tokens", "generated", "time (s)", "tokens/s");
            for (Run r : runs) {
                System.out.printf(Locale.ROOT, "%-8s %6d %14d %16d %10d %10.1f %12.1f%n", r.routing(), r.rows(), r.promptTokens(),
                        r.prefilled(), r.generated(), r.seconds(), r.generated() / r.seconds());
            }
            Run plain = runs.get(0), prefix = runs.get(1);
            System.out.printf(Locale.ROOT, "prefix-aware: %.1fx fewer prefilled tokens, %.2fx faster end to end%n",
                    (double) plain.prefilled() / prefix.prefilled(), plain.seconds() / prefix.seconds());
            return 0;
        } finally {
            spark.stop();
        }
    }

    private Run run(Dataset<Row> table, GenerateOptions o) {
        HydragenMetrics m = HydragenMetrics.get();
        long prompts0 = m.prompts.getCount(), tokens0 = m.promptTokens.getCount(), pre0 = m.prefilledTokens.getCount(), gen0 = m.generatedTokens.getCount();
        long t0 = System.nanoTime();
        Hydragen.generate(table, o).write().format("noop").mode("overwrite").save();
        double s = (System.nanoTime() - t0) / 1e9;
        return new Run(o.routing(), m.prompts.getCount() - prompts0, m.promptTokens.getCount() - tokens0,
                m.prefilledTokens.getCount() - pre0, m.generatedTokens.getCount() - gen0, s);
    }

    private Dataset<Row> table(SparkSession spark) {
        Random rnd = new Random(42);
        String[] words = "the river city report storm harbour engine signal market winter council bridge library north light".split(" ");
        List<Row> rows = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder doc = new StringBuilder("Document " + d + ":");
            while (doc.length() < docChars) doc.append(' ').append(words[rnd.nextInt(words.length)]);
            for (int q = 0; q < questions; q++) {
                rows.add(RowFactory.create("d" + d + "q" + q, doc + "\nQuestion " + q + ": what does the document say about "
                        + words[rnd.nextInt(words.length)] + "?\nAnswer:"));
            }
        }
        return spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType));
    }
}
