package io.hydragen.examples;

import io.hydragen.spark.api.OutputColumns;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.*;

/**
 * What a batch run did, read back from its output: rows, errors, tokens, decode throughput over the wall time, and
 * the share of prompt tokens that came from a prefix shared with other rows of their batch.
 */
public record JobSummary(long rows, long errors, long promptTokens, long sharedPromptTokens, long completionTokens,
                         double seconds) {

    /** @param seconds wall time of the job that produced {@code output} */
    public static JobSummary of(Dataset<Row> output, double seconds) {
        List<String> cols = Arrays.asList(output.columns());
        if (!cols.containsAll(List.of(OutputColumns.PROMPT_TOKENS, OutputColumns.COMPLETION_TOKENS,
                OutputColumns.SHARED_PROMPT_TOKENS, OutputColumns.FINISH_REASON))) {
            return new JobSummary(output.count(), 0, 0, 0, 0, seconds);
        }
        Row r = output.agg(count(lit(1)),
                sum(when(col(OutputColumns.FINISH_REASON).equalTo("error"), 1).otherwise(0)),
                sum(OutputColumns.PROMPT_TOKENS), sum(OutputColumns.SHARED_PROMPT_TOKENS),
                sum(OutputColumns.COMPLETION_TOKENS)).first();
        return new JobSummary(r.getLong(0), r.isNullAt(1) ? 0 : r.getLong(1), r.isNullAt(2) ? 0 : r.getLong(2),
                r.isNullAt(3) ? 0 : r.getLong(3), r.isNullAt(4) ? 0 : r.getLong(4), seconds);
    }

    public double tokensPerSecond() { return seconds > 0 ? completionTokens / seconds : 0; }

    public double sharedShare() { return promptTokens > 0 ? (double) sharedPromptTokens / promptTokens : 0; }

    public String format() {
        return String.format(Locale.ROOT,
                "rows: %d (%d errors)%nprompt tokens: %d, of which shared: %d (%.1f%%)%ngenerated tokens: %d in %.1f s: %.1f tokens/s",
                rows, errors, promptTokens, sharedPromptTokens, 100 * sharedShare(), completionTokens, seconds, tokensPerSecond());
    }
}
