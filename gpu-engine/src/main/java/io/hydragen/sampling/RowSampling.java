package io.hydragen.sampling;

/**
 * How one row picks its next token at one step, on either backend ({@link Sampler} on the host, sampling.cu on the
 * device): temperature 0 means argmax; topK ≤ 0 and topP = 1 mean no cut; {@code seed} keys the row's Philox stream
 * ({@link SamplingSeeds#rowSeed}) and {@code step} counts its draws. Floats, because the kernel computes in floats
 * and both backends must round alike.
 */
public record RowSampling(float temperature, int topK, float topP, long seed, int step) {
    public static final RowSampling GREEDY = new RowSampling(0f, 0, 1f, 0L, 0);

    /** Whether the pick is the argmax, with no draw. */
    public boolean greedy() { return !(temperature > 0f) || topK == 1; }
}
