package io.hydragen.spark.sql;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.spark.plugin.HydragenConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.FunctionTableSubqueryArgumentExpression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.internal.SQLConf;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

import java.util.List;

/**
 * The table-valued function {@code hydragen_generate(TABLE(t) [, 'key', value]... | [, map(...)])}: the same batched,
 * prefix-aware generation as {@link Hydragen#generate}, over a table or a query ({@code TABLE(SELECT ...)}).
 * Its plan is the DataFrame API's plan, so SQL and Java users get the same routing, batching and output columns.
 * The model defaults to the session's {@code spark.hydragen.model}.
 */
final class GenerateTableFunction extends AbstractFunction1<Seq<Expression>, LogicalPlan> {
    static final String NAME = "hydragen_generate";

    @Override
    public LogicalPlan apply(Seq<Expression> arguments) {
        List<Expression> args = CollectionConverters.asJava(arguments);
        if (args.isEmpty() || !(args.get(0) instanceof FunctionTableSubqueryArgumentExpression table)) {
            throw new IllegalArgumentException(NAME + ": the first argument must be a table, e.g. "
                    + NAME + "(TABLE(prompts), 'model', 'synthetic:tiny') or " + NAME + "(TABLE(SELECT ...), ...)");
        }
        if (table.hasRepartitioning()) {
            throw new IllegalArgumentException(NAME + ": TABLE(...) PARTITION BY / ORDER BY is not supported; "
                    + "name prefix columns with the 'prefix_columns' option instead");
        }
        GenerateOptions options = GenerateOptions.fromMap(HydragenConf.withDefaults(HydragenConf.sessionDefaults(SQLConf.get()),
                SqlArguments.options(NAME, args.subList(1, args.size()))), defaultModel());
        SparkSession spark = SparkSession.active();
        Dataset<Row> input = org.apache.spark.sql.classic.Dataset.ofRows(spark, table.plan());
        Dataset<Row> out = Hydragen.generate(input, options);
        return ((org.apache.spark.sql.classic.Dataset<Row>) out).logicalPlan();
    }

    static String defaultModel() {
        String m = HydragenConf.MODEL.get(SQLConf.get());
        return m == null || m.isBlank() ? null : m;
    }
}
