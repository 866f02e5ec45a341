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

/** Builds {@code hydragen_complete(prompt [, map(...)])} calls: options are read and the model checked at analysis. */
final class CompleteFunctionBuilder extends AbstractFunction1<Seq<Expression>, Expression> {
    @Override
    public Expression apply(Seq<Expression> arguments) {
        List<Expression> args = CollectionConverters.asJava(arguments);
        if (args.isEmpty() || args.size() > 2) {
            throw new IllegalArgumentException(CompleteFunction.NAME + " takes (prompt) or (prompt, map(option, value, ...)), got "
                    + args.size() + " arguments");
        }
        GenerateOptions options = GenerateOptions.fromMap(SqlArguments.options(CompleteFunction.NAME, args.subList(1, args.size())),
                GenerateTableFunction.defaultModel());
        ModelPreflight.check(options.model(), SparkSession.active().sparkContext().hadoopConfiguration());
        return new ApplyFunctionExpression(new CompleteFunction(options, args.size() == 2), arguments);
    }
}
