package io.hydragen.examples;

import io.hydragen.spark.plugin.EngineTotals;

import java.util.Locale;
import java.util.Map;

/**
 * What a batch run did, from the engine's own counts ({@link EngineTotals}: what the executors' engines reported
 * for the job, whatever columns the output keeps): rows, samples, error rows and their most frequent messages,
 * prompt tokens, the share served from a prefix shared with other rows of their batch, prefilled and generated
 * tokens, and generated tokens per second of wall time.
 */
public record JobSummary(long rows, long samples, long errors, long promptTokens, long sharedPromptTokens,
                         long prefilledTokens, long completionTokens, double seconds, Map<String, Long> topErrors) {

    /** @param seconds wall time of the job that the counts {@code c} describe */
    public static JobSummary of(EngineTotals.Counts c, double seconds) {
        return new JobSummary(c.rows(), c.samples(), c.errorRows(), c.promptTokens(), c.sharedPromptTokens(),
                c.prefilledTokens(), c.generatedTokens(), seconds, c.topErrors(3));
    }

    public double tokensPerSecond() { return seconds > 0 ? completionTokens / seconds : 0; }

    public double sharedShare() { return promptTokens > 0 ? (double) sharedPromptTokens / promptTokens : 0; }

    public String format() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "rows: %d (%d errors), samples: %d%nprompt tokens (answered rows): %d, of which shared: %d (%.1f%%), prefilled: %d%n"
                        + "generated tokens: %d in %.1f s: %.1f tokens/s",
                rows, errors, samples, promptTokens, sharedPromptTokens, 100 * sharedShare(), prefilledTokens,
                completionTokens, seconds, tokensPerSecond()));
        topErrors.forEach((m, k) -> sb.append(String.format(Locale.ROOT, "%n  error (%d rows): %s", k, m)));
        return sb.toString();
    }
}
