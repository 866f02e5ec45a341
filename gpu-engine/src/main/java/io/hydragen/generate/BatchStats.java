package io.hydragen.generate;

/**
 * What one call to {@link Engine#generate} did.
 *
 * @param promptTokens prompt tokens over all samples, as if none were shared
 * @param prefilledTokens prompt tokens actually run through the model (shared segments once)
 * @param sharedPromptTokens prompt tokens whose KV came from a segment shared with another sample
 * @param generatedTokens new tokens over all samples
 */
public record BatchStats(int sequences, long promptTokens, long prefilledTokens, long sharedPromptTokens,
                         long generatedTokens, long prefillNanos, long decodeNanos, int decodeSteps) {

    public static final BatchStats EMPTY = new BatchStats(0, 0, 0, 0, 0, 0, 0, 0);

    public double decodeTokensPerSecond() { return decodeNanos == 0 ? 0 : generatedTokens * 1e9 / decodeNanos; }

    public BatchStats plus(BatchStats o) {
        return new BatchStats(sequences + o.sequences, promptTokens + o.promptTokens, prefilledTokens + o.prefilledTokens,
                sharedPromptTokens + o.sharedPromptTokens, generatedTokens + o.generatedTokens,
                prefillNanos + o.prefillNanos, decodeNanos + o.decodeNanos, decodeSteps + o.decodeSteps);
    }
}
