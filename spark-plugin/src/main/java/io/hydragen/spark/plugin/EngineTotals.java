package io.hydragen.spark.plugin;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The driver's sum of what the executors' engines did ({@link PluginMessages.BatchDone}, one per engine call of
 * {@code hydragen_generate}, {@code Hydragen.generate}, the DataSource and {@code hydragen_complete}): rows, samples,
 * error rows and their messages, tokens. A job's counts are the difference of two {@link #snapshot()}s. An engine
 * call of a task that is retried or speculated is counted each time it runs. Needs the plugin
 * ({@code spark.plugins=io.hydragen.spark.plugin.HydragenPlugin}); without it every count stays 0.
 */
public final class EngineTotals {
    /** Counts at one moment. */
    public record Counts(long batches, long rows, long samples, long errorRows, long promptTokens, long sharedPromptTokens,
                         long prefilledTokens, long generatedTokens, Map<String, Long> errors) {
        public Counts minus(Counts o) {
            Map<String, Long> e = new HashMap<>(errors);
            o.errors.forEach((k, v) -> e.computeIfPresent(k, (kk, mine) -> mine - v > 0 ? mine - v : null));
            return new Counts(batches - o.batches, rows - o.rows, samples - o.samples, errorRows - o.errorRows,
                    promptTokens - o.promptTokens, sharedPromptTokens - o.sharedPromptTokens,
                    prefilledTokens - o.prefilledTokens, generatedTokens - o.generatedTokens, e);
        }

        /** The {@code k} most frequent error messages, most frequent first. */
        public Map<String, Long> topErrors(int k) {
            Map<String, Long> out = new LinkedHashMap<>();
            errors.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .limit(k).forEach(en -> out.put(en.getKey(), en.getValue()));
            return out;
        }
    }

    private static long batches, rows, samples, errorRows, promptTokens, sharedPromptTokens, prefilledTokens, generatedTokens;
    private static final Map<String, Long> ERRORS = new HashMap<>();
    /** Distinct messages kept; the rest are counted as rows only. */
    private static final int MAX_MESSAGES = 1000;

    private EngineTotals() {}

    static synchronized void add(PluginMessages.BatchDone m) {
        batches++;
        rows += m.rows();
        samples += m.samples();
        errorRows += m.errorRows();
        promptTokens += m.promptTokens();
        sharedPromptTokens += m.sharedPromptTokens();
        prefilledTokens += m.prefilledTokens();
        generatedTokens += m.generatedTokens();
        if (m.errors() != null) {
            m.errors().forEach((k, v) -> {
                if (ERRORS.containsKey(k) || ERRORS.size() < MAX_MESSAGES) ERRORS.merge(k, v, Long::sum);
            });
        }
    }

    public static synchronized Counts snapshot() {
        return new Counts(batches, rows, samples, errorRows, promptTokens, sharedPromptTokens, prefilledTokens,
                generatedTokens, Map.copyOf(ERRORS));
    }

    static synchronized void reset() {
        batches = rows = samples = errorRows = promptTokens = sharedPromptTokens = prefilledTokens = generatedTokens = 0;
        ERRORS.clear();
    }
}
