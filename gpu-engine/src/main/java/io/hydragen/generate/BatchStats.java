package io.hydragen.generate;

/**
 * What one call to {@link Engine#generate} did.
 *
 * @param promptTokens prompt tokens over all samples, as if none were shared
 * @param prefilledTokens prompt tokens actually run through the model (each shared segment once)
 * @param sharedPromptTokens prompt tokens whose KV came from a segment shared with another sample
 * @param generatedTokens new tokens over all samples
 * @param decodeTokens the new tokens produced by decode steps (the first token of each sample comes from prefill)
 */
public record BatchStats(int sequences, long promptTokens, long prefilledTokens, long sharedPromptTokens,
                         long generatedTokens, long decodeTokens, long prefillNanos, long decodeNanos, int decodeSteps) {

    public static final BatchStats EMPTY = new BatchStats(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public double decodeTokensPerSecond() { return decodeNanos == 0 ? 0 : decodeTokens * 1e9 / decodeNanos; }

    public double prefillSeconds() { return prefillNanos / 1e9; }

    public BatchStats plus(BatchStats o) {
        return new BatchStats(sequences + o.sequences, promptTokens + o.promptTokens, prefilledTokens + o.prefilledTokens,
                sharedPromptTokens + o.sharedPromptTokens, generatedTokens + o.generatedTokens, decodeTokens + o.decodeTokens,
                prefillNanos + o.prefillNanos, decodeNanos + o.decodeNanos, decodeSteps + o.decodeSteps);
    }
}
