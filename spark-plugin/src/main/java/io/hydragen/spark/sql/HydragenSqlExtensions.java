package io.hydragen.spark.sql;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import scala.Option;
import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Enable with {@code spark.sql.extensions=io.hydragen.spark.sql.HydragenSqlExtensions} (spark-sql shell, Thrift/JDBC
 * server, PySpark's {@code spark.sql}). Registers:
 * <ul>
 *   <li>{@code hydragen_generate(TABLE(t) [, 'key', value]...)}: a table-valued function, batched and prefix-aware;
 *       e.g. {@code SELECT * FROM hydragen_generate(TABLE(prompts), 'model', 'synthetic:tiny', 'max_new_tokens', 8)};</li>
 *   <li>{@code hydragen_complete(prompt [, map('key', 'value', ...) | , 'key', value...])}: one completion per call.</li>
 *   <li>{@code hydragen_score(prompt, array(candidates) [, options])}: the candidates' log-likelihoods;
 *       {@code hydragen_classify(prompt, array(labels) [, options])}: the most likely label.</li>
 * </ul>
 * Option keys are those of {@link io.hydragen.spark.api.OptionKeys}; the model defaults to {@code spark.hydragen.model}.
 */
public final class HydragenSqlExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        extensions.injectTableFunction(new Tuple3<>(
                new FunctionIdentifier(GenerateTableFunction.NAME, Option.empty(), Option.empty()),
                info(GenerateTableFunction.NAME, GenerateTableFunction.class,
                        "_FUNC_(TABLE(t) [, key, value]...) - completions for every row of t: its columns plus completion, "
                                + "finish_reason, error, prompt_tokens, completion_tokens, shared_prompt_tokens",
                        "table_funcs"),
                new GenerateTableFunction()));
        extensions.injectFunction(new Tuple3<>(
                new FunctionIdentifier(CompleteFunction.NAME, Option.empty(), Option.empty()),
                info(CompleteFunction.NAME, CompleteFunction.class,
                        "_FUNC_(prompt [, map(key, value, ...)]) - the completion of one prompt", "string_funcs"),
                new CompleteFunctionBuilder()));
        extensions.injectFunction(new Tuple3<>(
                new FunctionIdentifier(ScoreFunction.NAME, Option.empty(), Option.empty()),
                info(ScoreFunction.NAME, ScoreFunction.class,
                        "_FUNC_(prompt, array(candidates) [, map(key, value, ...)]) - each candidate's log-likelihood given the "
                                + "prompt: struct<scores: array<struct<candidate, logprob, tokens, greedy>>, best>", "misc_funcs"),
                new ScoreFunctionBuilder(false)));
        extensions.injectFunction(new Tuple3<>(
                new FunctionIdentifier(ClassifyFunction.NAME, Option.empty(), Option.empty()),
                info(ClassifyFunction.NAME, ClassifyFunction.class,
                        "_FUNC_(prompt, array(labels) [, map(key, value, ...)]) - the label most likely to follow the prompt",
                        "string_funcs"),
                new ScoreFunctionBuilder(true)));
        return BoxedUnit.UNIT;
    }

    private static ExpressionInfo info(String name, Class<?> impl, String usage, String group) {
        return new ExpressionInfo(impl.getName(), null, name, usage, "", "", "", group, "0.1.0", "", "java_udf");
    }
}
