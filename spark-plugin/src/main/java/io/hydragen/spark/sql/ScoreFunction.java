package io.hydragen.spark.sql;

import io.hydragen.score.ScoreResult;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.ScoreColumns;
import io.hydragen.spark.exec.ScoreValues;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.io.Serializable;

/**
 * The scalar {@code hydragen_score(prompt, array(candidates) [, options])}: each candidate's log-likelihood given the
 * prompt, {@code struct<scores: array<struct<candidate, logprob, tokens, greedy>>, best: string>}, the numbers
 * {@code bin/hydragen score} writes. NULL for a row that cannot be scored. Non-deterministic only so that Spark does not
 * fold a literal call on the driver.
 */
final class ScoreFunction implements ScalarFunction<InternalRow>, Serializable {
    static final String NAME = "hydragen_score";

    private final GenerateOptions options;

    ScoreFunction(GenerateOptions options) { this.options = options; }

    @Override
    public DataType[] inputTypes() { return new DataType[]{DataTypes.StringType, DataTypes.createArrayType(DataTypes.StringType)}; }

    @Override
    public DataType resultType() { return ScoreColumns.SCORE; }

    @Override
    public String name() { return NAME; }

    @Override
    public boolean isDeterministic() { return false; }

    @Override
    public InternalRow produceResult(InternalRow input) {
        ScoreResult r = ScoreCall.score(options, input);
        return r == null ? null : ScoreValues.struct(r);
    }
}
