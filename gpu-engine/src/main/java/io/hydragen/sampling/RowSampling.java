package io.hydragen.sampling;

/**
 * How one row picks its next token at one step, on either backend ({@link Sampler} on the host, sampling.cu on the
 * device): temperature 0 means argmax; topK ≤ 0 and topP = 1 mean no cut; {@code seed} keys the row's Philox stream
 * ({@link SamplingSeeds#rowSeed}) and {@code step} counts its draws. Floats, because the kernel computes in floats
 * and both backends must round alike.
 *
 * @param mask     the allowed tokens (structured output), or null for all
 * @param logprobs {@link #NO_LOGPROBS}, or how many of the most likely tokens to report with the picked one's
 *                 log-probability (0..{@link RawLogprobs#MAX_TOP}, as vLLM's {@code logprobs})
 */
public record RowSampling(float temperature, int topK, float topP, long seed, int step, TokenMask mask, int logprobs) {
    /** No log-probabilities wanted. */
    public static final int NO_LOGPROBS = -1;
    public static final RowSampling GREEDY = new RowSampling(0f, 0, 1f, 0L, 0);

    public RowSampling {
        if (logprobs < NO_LOGPROBS || logprobs > RawLogprobs.MAX_TOP) {
            throw new IllegalArgumentException("logprobs " + logprobs + " outside [0, " + RawLogprobs.MAX_TOP + "] (or " + NO_LOGPROBS + " for none)");
        }
    }

    /** Unmasked, without log-probabilities. */
    public RowSampling(float temperature, int topK, float topP, long seed, int step) {
        this(temperature, topK, topP, seed, step, null, NO_LOGPROBS);
    }

    /** Whether the pick is the argmax, with no draw. */
    public boolean greedy() { return !(temperature > 0f) || topK == 1; }

    /** Whether the picked token's log-probability is wanted. */
    public boolean wantsLogprobs() { return logprobs != NO_LOGPROBS; }
}
