package io.hydragen.spark.sql;

import io.hydragen.score.ScoreResult;
import io.hydragen.spark.api.GenerateOptions;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;

import java.io.Serializable;

/**
 * The scalar {@code hydragen_classify(prompt, array(labels) [, options])}: the label with the largest log-likelihood
 * given the prompt ({@code hydragen_score(...).best}), NULL for a row that cannot be scored.
 */
final class ClassifyFunction implements ScalarFunction<UTF8String>, Serializable {
    static final String NAME = "hydragen_classify";

    private final GenerateOptions options;

    ClassifyFunction(GenerateOptions options) { this.options = options; }

    @Override
    public DataType[] inputTypes() { return new DataType[]{DataTypes.StringType, DataTypes.createArrayType(DataTypes.StringType)}; }

    @Override
    public DataType resultType() { return DataTypes.StringType; }

    @Override
    public String name() { return NAME; }

    @Override
    public boolean isDeterministic() { return false; }

    @Override
    public UTF8String produceResult(InternalRow input) {
        ScoreResult r = ScoreCall.score(options, input);
        return r == null || r.best() == null ? null : UTF8String.fromString(r.best());
    }
}
