package io.hydragen.backend.cuda;

import io.hydragen.generate.SamplingParams;

/**
 * How sampling.cu picks one row's next token: temperature 0 means argmax; topK ≤ 0 and topP = 1 mean no cut;
 * {@code seed} keys the row's Philox stream and {@code step} counts its draws.
 */
public record RowSampling(float temperature, int topK, float topP, long seed, int step) {
    public static final RowSampling GREEDY = new RowSampling(0f, 0, 1f, 0L, 0);

    /** Sample {@code sampleIndex} of a request at generation step {@code step}. */
    public static RowSampling of(SamplingParams p, int sampleIndex, int step) {
        return new RowSampling((float) p.temperature(), p.topK(), (float) p.topP(), SamplingSeeds.rowSeed(p.seed(), sampleIndex), step);
    }
}
