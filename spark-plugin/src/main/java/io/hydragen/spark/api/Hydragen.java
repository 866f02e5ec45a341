package io.hydragen.spark.api;

import io.hydragen.spark.exec.GeneratePartitionFunction;
import io.hydragen.spark.exec.RoutedLayout;
import io.hydragen.spark.exec.Utf8Prompts;
import io.hydragen.spark.model.ModelPreflight;
import io.hydragen.spark.partition.PrefixRouter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Batched, prefix-aware generation over a table of prompts.
 *
 * <pre>{@code
 * Dataset<Row> out = Hydragen.generate(prompts, GenerateOptions.builder("hdfs:///models/llama-3.2-1b")
 *         .promptColumn("prompt").maxNewTokens(64).prefixColumns("instruction", "document").build());
 * }</pre>
 *
 * The result has every input column, then {@code completion}, {@code finish_reason}, {@code error},
 * {@code prompt_tokens}, {@code completion_tokens}, {@code shared_prompt_tokens}, {@code seed} (and
 * {@code sample_index}, one row per sample, when {@code n > 1}). A row whose prompt is null, empty, not valid UTF-8 or too long for the model
 * gets {@code finish_reason = 'error'} and a message in {@code error}; the other rows are answered.
 *
 * <p>Chat input: a column of conversations ({@code array<struct<role, content>>}, option {@code messages_column};
 * by default a {@code messages} column when the table has no prompt column) is rendered with the model's chat
 * template (or option {@code chat_template}), and the output gains a {@code prompt} column with the rendered text.
 * A conversation the template refuses is that row's error.
 *
 * <p>A row's seed is derived from the options' seed and the row's identity (its id column, or its prompt and
 * duplicate ordinal), so the output does not depend on how the input is partitioned or ordered.
 *
 * <p>The model's existence is checked here, on the driver; nothing runs until an action is called on the result.
 */
public final class Hydragen {
    private Hydragen() {}

    public static Dataset<Row> generate(Dataset<Row> prompts, GenerateOptions options) {
        SparkSession spark = prompts.sparkSession();
        io.hydragen.spark.plugin.HydragenConf.warnUnknown(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()));
        ModelPreflight.check(options.model(), spark.sparkContext().hadoopConfiguration());
        StructType input = prompts.schema();
        options = options.resolveFor(input);
        StructType output = OutputColumns.append(input, options);
        int partitions = Parallelism.partitions(options, spark.sparkContext());
        Dataset<Row> routed = PrefixRouter.route(prompts, options, partitions);
        RoutedLayout layout = RoutedLayout.of(routed.schema(), input.size());
        Dataset<Row> out = routed.mapPartitions(new GeneratePartitionFunction(options, layout, output), Encoders.row(output));
        return options.chat() ? out : Utf8Prompts.flag(out, options.promptColumn());
    }
}
