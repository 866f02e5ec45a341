package io.hydragen.spark.api;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The columns {@link Hydragen#generate} adds to every input row, in this order. */
public final class OutputColumns {
    private OutputColumns() {}

    public static final String COMPLETION = "completion";
    public static final String FINISH_REASON = "finish_reason";
    public static final String ERROR = "error";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String COMPLETION_TOKENS = "completion_tokens";
    public static final String SHARED_PROMPT_TOKENS = "shared_prompt_tokens";
    /**
     * The seed the row's samples used (sample i draws from the stream (seed, i)), as {@code bin/hydragen generate}
     * records it: null for a row that never reached the engine. Generating the row again with {@code seed} set to it
     * and {@code per_row_seeds=false} reproduces it.
     */
    public static final String SEED = "seed";
    /** Present only when {@code n > 1}: one output row per sample. */
    public static final String SAMPLE_INDEX = "sample_index";
    /** Present only for chat input ({@link GenerateOptions#chat()}), last: the conversation as the template rendered it. */
    public static final String PROMPT = "prompt";

    /**
     * Present only with a call-level JSON schema ({@link GenerateOptions#parsedType()}), last: the completion parsed
     * as {@code from_json} does, null unless its finish reason is {@code stop}.
     */
    public static final String PARSED = "parsed";

    /** The added fields; {@code sample_index} only when {@code n > 1}. */
    public static List<StructField> fields(int n) { return fields(n, false); }

    /** The added fields; {@code sample_index} only when {@code n > 1}, {@code prompt} only for chat input. */
    public static List<StructField> fields(int n, boolean chat) {
        List<StructField> f = new ArrayList<>(List.of(
                DataTypes.createStructField(COMPLETION, DataTypes.StringType, true),
                DataTypes.createStructField(FINISH_REASON, DataTypes.StringType, false),
                DataTypes.createStructField(ERROR, DataTypes.StringType, true),
                DataTypes.createStructField(PROMPT_TOKENS, DataTypes.IntegerType, false),
                DataTypes.createStructField(COMPLETION_TOKENS, DataTypes.IntegerType, false),
                DataTypes.createStructField(SHARED_PROMPT_TOKENS, DataTypes.IntegerType, false),
                DataTypes.createStructField(SEED, DataTypes.LongType, true)));
        if (n > 1) f.add(DataTypes.createStructField(SAMPLE_INDEX, DataTypes.IntegerType, false));
        if (chat) f.add(DataTypes.createStructField(PROMPT, DataTypes.StringType, true));
        return f;
    }

    /** The input schema followed by the output fields; fails when an input column already has an output's name. */
    public static StructType append(StructType input, int n) { return append(input, n, false); }

    /** The output schema of these options over this input (chat input adds {@code prompt}). */
    /** What generation tasks emit for these options: the input, the outputs, then the log-probability columns asked for. */
    public static StructType generated(StructType input, GenerateOptions o) {
        StructType out = append(input, o.n(), o.chat());
        for (StructField f : LogprobColumns.fields(o)) {
            for (String name : input.fieldNames()) {
                if (name.equalsIgnoreCase(f.name())) {
                    throw new IllegalArgumentException("input column '" + name + "' has the name of an output column; rename it first");
                }
            }
            out = out.add(f);
        }
        return out;
    }

    public static StructType append(StructType input, GenerateOptions o) {
        StructType out = generated(input, o);
        org.apache.spark.sql.types.DataType parsed = o.parsedType();
        if (parsed == null) return out;
        for (String name : input.fieldNames()) {
            if (name.equalsIgnoreCase(PARSED)) {
                throw new IllegalArgumentException("input column '" + name + "' has the name of the output column of "
                        + "the parsed JSON (response_format with a schema); rename it first");
            }
        }
        return out.add(PARSED, parsed, true);
    }

    public static StructType append(StructType input, int n, boolean chat) {
        List<StructField> out = new ArrayList<>(Arrays.asList(input.fields()));
        for (StructField f : fields(n, chat)) {
            for (String name : input.fieldNames()) {
                if (name.equalsIgnoreCase(f.name())) {
                    throw new IllegalArgumentException("input column '" + name + "' has the name of an output column; "
                            + "rename it first (outputs: " + String.join(", ", names(n, chat)) + ")");
                }
            }
            out.add(f);
        }
        return new StructType(out.toArray(new StructField[0]));
    }

    public static List<String> names(int n) { return names(n, false); }

    public static List<String> names(int n, boolean chat) { return fields(n, chat).stream().map(StructField::name).toList(); }
}
