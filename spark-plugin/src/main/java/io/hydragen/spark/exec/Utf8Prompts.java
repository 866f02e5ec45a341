package io.hydragen.spark.exec;

import org.apache.spark.sql.Column;

import static org.apache.spark.sql.functions.*;

/**
 * Prompts that are not valid UTF-8. Spark keeps a string's bytes as it read them (parquet, ORC, the text format, a
 * binary column cast to string), so a prompt can hold bytes that decode to no character; turned into a Java string
 * they would become U+FFFD and be completed as if nothing were wrong. Instead routing hands such a row on with no
 * prompt and a mark ({@link io.hydragen.spark.partition.RoutingColumns#PROMPT_NOT_UTF8}): the engine never sees it, and
 * the executor answers it with {@value #MESSAGE}, in its output row and in the job's error counts alike.
 *
 * <p>Bytes that a reader already decoded (Spark's csv reader replaces them with U+FFFD) cannot be told from a real
 * U+FFFD here; {@link io.hydragen.spark.api.PromptTables} warns about such files instead.
 */
public final class Utf8Prompts {
    private Utf8Prompts() {}

    public static final String MESSAGE = "prompt is not valid UTF-8 (it holds bytes that decode to no character): "
            + "fix the input or read it with its encoding";

    /** The prompt (already cast to string) when it is valid UTF-8, else null. */
    public static Column validOrNull(Column promptAsString) {
        return when(is_valid_utf8(promptAsString), promptAsString);
    }

    /** Whether the prompt (already cast to string) is set but not valid UTF-8: the rows {@link #validOrNull} empties. */
    public static Column notUtf8(Column promptAsString) {
        return promptAsString.isNotNull().and(not(is_valid_utf8(promptAsString)));
    }
}
