package io.hydragen.generate;

import io.hydragen.sampling.RawLogprobs;

/**
 * Log-probabilities from one row of raw logits as the engine reports them ({@link TokenLogprob}): generated-token and
 * prompt log-probabilities alike, on the logits as the model gave them (before the sampler or a constraint touch
 * them). The rule itself is {@link RawLogprobs}, which the device sampler mirrors.
 */
public final class LogSoftmax {
    /** The most alternatives a request may ask for, as vLLM's default {@code max_logprobs}. */
    public static final int MAX_TOP = RawLogprobs.MAX_TOP;

    private LogSoftmax() {}

    /** log Σ exp(logits), shifted by the maximum so it neither overflows nor underflows. */
    public static double logSumExp(float[] logits) { return RawLogprobs.logSumExp(logits); }

    /** The entry of token {@code id} with the {@code k} most likely tokens at this position (token texts unset). */
    public static TokenLogprob of(float[] logits, int id, int k) { return TokenLogprob.of(id, RawLogprobs.of(logits, id, k)); }

    /** The {@code k} ids with the largest logits, largest first, the lower id first among equal logits. */
    static int[] topIds(float[] logits, int k) { return RawLogprobs.topIds(logits, k); }
}
