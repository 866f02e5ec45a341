package io.hydragen.spark.sql;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.model.ModelPreflight;
import org.apache.spark.sql.catalyst.expressions.ApplyFunctionExpression;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.SparkSession;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

import java.util.List;

/**
 * Builds {@code hydragen_complete(prompt [, map(...)] | [, 'key', value]...)} calls: options are read and checked,
 * and the model found, at analysis; the expression then takes only the prompt.
 */
final class CompleteFunctionBuilder extends AbstractFunction1<Seq<Expression>, Expression> {
    @Override
    public Expression apply(Seq<Expression> arguments) {
        List<Expression> args = CollectionConverters.asJava(arguments);
        if (args.isEmpty()) {
            throw new IllegalArgumentException(CompleteFunction.NAME + " takes (prompt), (prompt, map(option, value, ...)) "
                    + "or (prompt, 'option', value, ...), got no arguments");
        }
        GenerateOptions options = GenerateOptions.fromMap(io.hydragen.spark.plugin.HydragenConf.withDefaults(
                io.hydragen.spark.plugin.HydragenConf.sessionDefaults(org.apache.spark.sql.internal.SQLConf.get()),
                SqlArguments.options(CompleteFunction.NAME, args.subList(1, args.size()))), GenerateTableFunction.defaultModel());
        SparkSession spark = SparkSession.active();
        io.hydragen.spark.plugin.HydragenConf.warnUnknown(spark.sessionState().conf());
        ModelPreflight.check(options.model(), spark.sparkContext().hadoopConfiguration());
        return new ApplyFunctionExpression(new CompleteFunction(options), CollectionConverters.asScala(List.of(args.get(0))).toList());
    }
}
