package io.hydragen.spark.sql;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.model.ModelPreflight;
import io.hydragen.spark.plugin.HydragenConf;
import org.apache.spark.sql.catalyst.expressions.ApplyFunctionExpression;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.internal.SQLConf;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

import java.util.List;

/**
 * Builds {@code hydragen_score} and {@code hydragen_classify} calls, {@code (prompt, array(candidates) [, map(...)] |
 * [, 'key', value]...)}: options are read and the model found at analysis; the expression takes the first two.
 */
final class ScoreFunctionBuilder extends AbstractFunction1<Seq<Expression>, Expression> {
    private final boolean classify;

    /** @param classify {@code hydragen_classify} (the best label) rather than {@code hydragen_score} (the struct) */
    ScoreFunctionBuilder(boolean classify) { this.classify = classify; }

    @Override
    public Expression apply(Seq<Expression> arguments) {
        String name = classify ? ClassifyFunction.NAME : ScoreFunction.NAME;
        List<Expression> args = CollectionConverters.asJava(arguments);
        if (args.size() < 2) {
            throw new IllegalArgumentException(name + " takes (prompt, array(candidates)) and options as a map or 'key', value pairs, got "
                    + args.size() + " argument(s)");
        }
        GenerateOptions options = GenerateOptions.fromMap(HydragenConf.withDefaults(HydragenConf.sessionDefaults(SQLConf.get()),
                SqlArguments.options(name, args.subList(2, args.size()))), GenerateTableFunction.defaultModel());
        SparkSession spark = SparkSession.active();
        ModelPreflight.check(options.model(), spark.sparkContext().hadoopConfiguration());
        ScalarFunction<?> f = classify ? new ClassifyFunction(options) : new ScoreFunction(options);
        return new ApplyFunctionExpression(f, CollectionConverters.asScala(List.of(args.get(0), args.get(1))).toList());
    }
}
