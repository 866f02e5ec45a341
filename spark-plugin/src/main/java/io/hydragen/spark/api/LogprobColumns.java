package io.hydragen.spark.api;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The log-probability output columns (vLLM's {@code logprobs}, {@code cumulative_logprob}, {@code prompt_logprobs}),
 * present only when asked for ({@link GenerateOptions#completionLogprobs()}, {@link GenerateOptions#promptLogprobsColumn()}).
 */
public final class LogprobColumns {
    private LogprobColumns() {}

    public static final String LOGPROBS = "logprobs";
    public static final String CUMULATIVE_LOGPROB = "cumulative_logprob";
    public static final String PROMPT_LOGPROBS = "prompt_logprobs";

    /** One alternative at a position: {@code struct<id: int, token: string, logprob: float>}. */
    public static final StructType TOP = new StructType()
            .add("id", DataTypes.IntegerType, false).add("token", DataTypes.StringType, true).add("logprob", DataTypes.FloatType, false);

    /** One token: {@code struct<id: int, token: string, logprob: float, top: array<TOP>>}. */
    public static final StructType TOKEN = new StructType()
            .add("id", DataTypes.IntegerType, false).add("token", DataTypes.StringType, true).add("logprob", DataTypes.FloatType, false)
            .add("top", DataTypes.createArrayType(TOP, false), false);

    /** A sequence of tokens; entries are nullable because a prompt's first token has none. */
    public static final ArrayType TOKENS = DataTypes.createArrayType(TOKEN, true);

    /** The columns these options add, in order. */
    public static List<StructField> fields(GenerateOptions o) {
        List<StructField> f = new ArrayList<>();
        if (o.completionLogprobs()) {
            f.add(DataTypes.createStructField(LOGPROBS, TOKENS, true));
            f.add(DataTypes.createStructField(CUMULATIVE_LOGPROB, DataTypes.DoubleType, true));
        }
        if (o.promptLogprobsColumn()) f.add(DataTypes.createStructField(PROMPT_LOGPROBS, TOKENS, true));
        return f;
    }
}
