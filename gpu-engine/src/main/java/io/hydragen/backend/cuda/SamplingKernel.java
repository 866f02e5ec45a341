package io.hydragen.backend.cuda;

/**
 * Host side of sampling.cu: next tokens chosen on the device so logits stay there. Greedy rows take the argmax;
 * the others temperature, top-k, top-p and a Philox4x32-10 draw keyed by the row's seed and counted by its step
 * ({@link io.hydragen.sampling.Philox}, {@link io.hydragen.sampling.SamplingSeeds}), both under the row's mask of
 * allowed tokens if it has one; a row with non-finite logits, or a mask that allows nothing, gets a negative code
 * ({@link io.hydragen.backend.NextTokens}). Rows that ask for them also get their raw log-probabilities
 * ({@link io.hydragen.sampling.RawLogprobs}).
 */
public final class SamplingKernel {
    static final int THREADS = 512;
    /** Most alternatives a row may ask for (LOGPROB_TOP_MAX in sampling.cu). */
    static final int LOGPROB_TOP_MAX = 20;
    /** 32-bit words per row of {@link RowBuffers#logprobOut}: [logprob f32, rank i32, ids i32 × 20, logprobs f32 × 20]. */
    static final int LOGPROB_STRIDE = 2 + 2 * LOGPROB_TOP_MAX;

    /**
     * The per-row mask and log-probability arguments both entries take.
     *
     * @param maskPool   bitmaps of 32-bit words (bit id % 32 of word id / 32), any number of them
     * @param maskOffset [rows] int32: the word offset of the row's bitmap in the pool, -1 for no mask
     * @param logprobTop [rows] int32: alternatives wanted (0..20), -1 for no log-probabilities
     * @param logprobOut [rows × {@link #LOGPROB_STRIDE}] 32-bit words, written for rows that want them and got a token
     */
    public record RowBuffers(DeviceBuffer maskPool, DeviceBuffer maskOffset, DeviceBuffer logprobTop, DeviceBuffer logprobOut) {}

    private final Kernel argmax;
    private final Kernel sample;

    public SamplingKernel(KernelSource lib) {
        this.argmax = lib.kernel("sampling", "argmax_rows");
        this.sample = lib.kernel("sampling", "sample_rows");
    }

    /** out[r] = argmax of logits row r ([rows, vocab] fp32) under its mask. */
    public void argmax(DeviceBuffer logits, int vocab, int rows, RowBuffers x, DeviceBuffer out) {
        argmax.launch(rows, 1, 1, THREADS, 0, Kernel.args().ptr(logits).i32(vocab).i32(rows).ptr(x.maskPool()).ptr(x.maskOffset())
                .ptr(x.logprobTop()).ptr(x.logprobOut()).ptr(out));
    }

    /**
     * @param temperature [rows] fp32 (0 = greedy); topK [rows] int32 (≤0 = off); topP [rows] fp32 (1 = off);
     *                    seeds [rows] uint64; steps [rows] int32
     */
    public void sample(DeviceBuffer logits, int vocab, int rows, DeviceBuffer temperature, DeviceBuffer topK, DeviceBuffer topP,
                       DeviceBuffer seeds, DeviceBuffer steps, RowBuffers x, DeviceBuffer out) {
        sample.launch(rows, 1, 1, THREADS, 0, Kernel.args().ptr(logits).i32(vocab).i32(rows).ptr(temperature).ptr(topK).ptr(topP)
                .ptr(seeds).ptr(steps).ptr(x.maskPool()).ptr(x.maskOffset()).ptr(x.logprobTop()).ptr(x.logprobOut()).ptr(out));
    }
}
