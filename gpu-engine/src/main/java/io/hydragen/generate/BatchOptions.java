package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;

/**
 * How one {@link Engine#generate} call plans and batches its requests. These are per call, not per engine: callers
 * with different settings share one loaded model (the weights are never loaded again for a different batch size).
 *
 * @param attention how attention is computed ({@link AttentionMode#NONE} is for benchmarks; callers serving users refuse it)
 * @param minSharedTokens a trie node shared by two or more sequences becomes a shared KV segment from this length on
 * @param maxBatchSequences most sequences decoded together; larger request lists run in several batches
 */
public record BatchOptions(AttentionMode attention, int minSharedTokens, int maxBatchSequences) {

    public BatchOptions {
        if (attention == null) throw new IllegalArgumentException("attention mode is required");
        if (minSharedTokens < 1) throw new IllegalArgumentException("min_shared_tokens must be >= 1, got " + minSharedTokens);
        if (maxBatchSequences < 1) throw new IllegalArgumentException("max batch sequences must be >= 1, got " + maxBatchSequences);
    }

    public BatchOptions withAttention(AttentionMode a) { return new BatchOptions(a, minSharedTokens, maxBatchSequences); }

    public BatchOptions withMinSharedTokens(int m) { return new BatchOptions(attention, m, maxBatchSequences); }

    public BatchOptions withMaxBatchSequences(int b) { return new BatchOptions(attention, minSharedTokens, b); }
}
