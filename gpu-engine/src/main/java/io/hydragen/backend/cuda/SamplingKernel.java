package io.hydragen.backend.cuda;

/**
 * Host side of sampling.cu: next tokens chosen on the device so logits stay there. Greedy rows take the argmax;
 * the others temperature, top-k, top-p and a Philox4x32-10 draw keyed by the row's seed and counted by its step
 * ({@link io.hydragen.sampling.Philox}, {@link io.hydragen.sampling.SamplingSeeds}); a row with non-finite logits gets
 * a negative code ({@link io.hydragen.backend.NextTokens}).
 */
public final class SamplingKernel {
    static final int THREADS = 512;
    private final Kernel argmax;
    private final Kernel sample;

    public SamplingKernel(KernelSource lib) {
        this.argmax = lib.kernel("sampling", "argmax_rows");
        this.sample = lib.kernel("sampling", "sample_rows");
    }

    /** out[r] = argmax of logits row r ([rows, vocab] fp32). */
    public void argmax(DeviceBuffer logits, int vocab, int rows, DeviceBuffer out) {
        argmax.launch(rows, 1, 1, THREADS, 0, Kernel.args().ptr(logits).i32(vocab).i32(rows).ptr(out));
    }

    /**
     * @param temperature [rows] fp32 (0 = greedy); topK [rows] int32 (≤0 = off); topP [rows] fp32 (1 = off);
     *                    seeds [rows] uint64; steps [rows] int32
     */
    public void sample(DeviceBuffer logits, int vocab, int rows, DeviceBuffer temperature, DeviceBuffer topK, DeviceBuffer topP,
                       DeviceBuffer seeds, DeviceBuffer steps, DeviceBuffer out) {
        sample.launch(rows, 1, 1, THREADS, 0, Kernel.args().ptr(logits).i32(vocab).i32(rows).ptr(temperature).ptr(topK).ptr(topP)
                .ptr(seeds).ptr(steps).ptr(out));
    }
}
