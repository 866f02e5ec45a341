package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;

/**
 * How one {@link Engine#generate} call plans and batches its requests. These are per call, not per engine: callers
 * with different settings share one loaded model (the weights are never loaded again for a different batch size).
 *
 * @param attention how attention is computed ({@link AttentionMode#NONE} is for benchmarks; callers serving users refuse it)
 * @param minSharedTokens a trie node shared by two or more sequences becomes a shared KV segment from this length on
 * @param maxBatchSequences most sequences decoded together; larger request lists run in several batches (static), or
 *                          most sequences running at once (continuous)
 * @param scheduler static batches, or continuous batching with prefix-aware admission
 * @param prefillTokensPerStep continuous only: most prompt tokens of admitted rows run in one decode pass (chunked prefill)
 */
public record BatchOptions(AttentionMode attention, int minSharedTokens, int maxBatchSequences, Scheduler scheduler,
                           int prefillTokensPerStep) {

    /** Prompt tokens prefilled per decode pass by default (continuous): one prefill chunk of the static path. */
    public static final int DEFAULT_PREFILL_TOKENS_PER_STEP = Engine.PREFILL_CHUNK;

    public BatchOptions {
        if (attention == null) throw new IllegalArgumentException("attention mode is required");
        if (scheduler == null) throw new IllegalArgumentException("scheduler is required");
        if (minSharedTokens < 1) throw new IllegalArgumentException("min_shared_tokens must be >= 1, got " + minSharedTokens);
        if (maxBatchSequences < 1) throw new IllegalArgumentException("max batch sequences must be >= 1, got " + maxBatchSequences);
        if (prefillTokensPerStep < 1) throw new IllegalArgumentException("prefill tokens per step must be >= 1, got " + prefillTokensPerStep);
    }

    public BatchOptions(AttentionMode attention, int minSharedTokens, int maxBatchSequences) {
        this(attention, minSharedTokens, maxBatchSequences, Scheduler.DEFAULT, DEFAULT_PREFILL_TOKENS_PER_STEP);
    }

    public BatchOptions withAttention(AttentionMode a) { return new BatchOptions(a, minSharedTokens, maxBatchSequences, scheduler, prefillTokensPerStep); }

    public BatchOptions withMinSharedTokens(int m) { return new BatchOptions(attention, m, maxBatchSequences, scheduler, prefillTokensPerStep); }

    public BatchOptions withMaxBatchSequences(int b) { return new BatchOptions(attention, minSharedTokens, b, scheduler, prefillTokensPerStep); }

    public BatchOptions withScheduler(Scheduler s) { return new BatchOptions(attention, minSharedTokens, maxBatchSequences, s, prefillTokensPerStep); }

    public BatchOptions withPrefillTokensPerStep(int n) { return new BatchOptions(attention, minSharedTokens, maxBatchSequences, scheduler, n); }
}
