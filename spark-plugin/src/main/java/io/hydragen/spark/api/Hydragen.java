package io.hydragen.spark.api;

import io.hydragen.spark.exec.GeneratePartitionFunction;
import io.hydragen.spark.exec.RoutedLayout;
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
        OutputColumns.append(input, options); // refuses input columns named like an output, the parsed one included
        StructType output = OutputColumns.generated(input, options);
        int partitions = Parallelism.partitions(options, spark.sparkContext());
        Dataset<Row> routed = PrefixRouter.route(prompts, options, partitions);
        RoutedLayout layout = RoutedLayout.of(routed.schema(), input.size());
        Dataset<Row> out = routed.mapPartitions(new GeneratePartitionFunction(options, layout, output), Encoders.row(output));
        return parsed(out, options);
    }

    /** With a call-level JSON schema: the {@code parsed} column, {@code from_json} of each {@code stop} completion. */
    static Dataset<Row> parsed(Dataset<Row> output, GenerateOptions options) {
        org.apache.spark.sql.types.DataType type = options.parsedType();
        if (type == null) return output;
        return output.withColumn(OutputColumns.PARSED, org.apache.spark.sql.functions.when(
                output.col(OutputColumns.FINISH_REASON).equalTo(io.hydragen.generate.FinishReason.STOP.wireName()),
                org.apache.spark.sql.functions.from_json(output.col(OutputColumns.COMPLETION), type, java.util.Map.<String, String>of())));
    }

    /** {@link #score(Dataset, GenerateOptions, String)} of the column {@value ScoreColumns#DEFAULT_CANDIDATES}. */
    public static Dataset<Row> score(Dataset<Row> prompts, GenerateOptions options) {
        return score(prompts, options, ScoreColumns.DEFAULT_CANDIDATES);
    }

    /**
     * The log-likelihood of each candidate continuation given its row's prompt, as {@code bin/hydragen score} computes
     * it (candidate tokens found as lm-evaluation-harness does). The result has every input column, then
     * {@code scores} ({@code array<struct<candidate, logprob, tokens, greedy>>}, in the candidates' order), {@code best}
     * (the candidate with the largest log-likelihood) and {@code error} (a row that cannot be scored: no prompt, no
     * candidates, a prompt too long; the other rows are answered). Rows are routed by prefix as for {@link #generate},
     * so a few-shot prefix shared by many prompts is prefilled once per batch and each prompt once for its candidates.
     *
     * @param candidatesColumn an {@code array<string>} column of candidates
     */
    public static Dataset<Row> score(Dataset<Row> prompts, GenerateOptions options, String candidatesColumn) {
        SparkSession spark = prompts.sparkSession();
        ModelPreflight.check(options.model(), spark.sparkContext().hadoopConfiguration());
        StructType input = prompts.schema();
        options = options.resolveFor(input);   // a messages column (option messages_column) is rendered with the chat template
        int candidates = -1;
        for (int i = 0; i < input.size(); i++) if (input.fields()[i].name().equalsIgnoreCase(candidatesColumn)) candidates = i;
        if (candidates < 0 || !(input.fields()[candidates].dataType() instanceof org.apache.spark.sql.types.ArrayType)) {
            throw new IllegalArgumentException("candidates column '" + candidatesColumn + "' must be an array of strings; the table has "
                    + java.util.Arrays.toString(input.fieldNames()));
        }
        StructType output = ScoreColumns.append(input);
        Dataset<Row> routed = PrefixRouter.route(prompts, options, Parallelism.partitions(options, spark.sparkContext()));
        RoutedLayout layout = RoutedLayout.of(routed.schema(), input.size());
        return routed.mapPartitions(new io.hydragen.spark.exec.ScorePartitionFunction(options, layout, candidates, output), Encoders.row(output));
    }
}
