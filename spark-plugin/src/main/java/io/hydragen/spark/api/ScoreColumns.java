package io.hydragen.spark.api;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What scoring adds ({@link Hydragen#score}, {@code hydragen_score}): per row, each candidate's log-likelihood given
 * the prompt and the best candidate, as {@code bin/hydragen score} writes them.
 */
public final class ScoreColumns {
    private ScoreColumns() {}

    public static final String SCORES = "scores";
    public static final String BEST = "best";
    public static final String ERROR = OutputColumns.ERROR;
    /** The column of candidates {@link Hydragen#score} reads unless told another. */
    public static final String DEFAULT_CANDIDATES = "candidates";

    /** One candidate: {@code struct<candidate: string, logprob: double, tokens: int, greedy: boolean>}. */
    public static final StructType CANDIDATE = new StructType()
            .add("candidate", DataTypes.StringType, false).add("logprob", DataTypes.DoubleType, false)
            .add("tokens", DataTypes.IntegerType, false).add("greedy", DataTypes.BooleanType, false);

    public static final ArrayType CANDIDATES = DataTypes.createArrayType(CANDIDATE, false);

    /** {@code hydragen_score}'s result: {@code struct<scores: array<CANDIDATE>, best: string>}. */
    public static final StructType SCORE = new StructType().add(SCORES, CANDIDATES, false).add(BEST, DataTypes.StringType, true);

    /** The input schema followed by {@code scores}, {@code best} and {@code error}. */
    public static StructType append(StructType input) {
        for (String name : input.fieldNames()) {
            for (String out : new String[]{SCORES, BEST, ERROR}) {
                if (name.equalsIgnoreCase(out)) {
                    throw new IllegalArgumentException("input column '" + name + "' has the name of an output column of scoring "
                            + "(scores, best, error); rename it first");
                }
            }
        }
        return input.add(SCORES, CANDIDATES, true).add(BEST, DataTypes.StringType, true).add(ERROR, DataTypes.StringType, true);
    }
}
