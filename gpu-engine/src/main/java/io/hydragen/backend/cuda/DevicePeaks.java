package io.hydragen.backend.cuda;

/**
 * A device's memory bandwidth and dense bf16 tensor rate, for rooflines measured against the device at hand
 * rather than constants of another GPU. Both are derived from device attributes, and {@link #source} says how:
 * bandwidth = memory clock x bus width x 2 (double data rate); tensor rate = SMs x SM clock x dense bf16 FLOPs
 * per clock per SM of the architecture (4096 on sm_90, 2048 on sm_80, 1024 on sm_86/sm_89, fp32 accumulation).
 * Boost clocks: real sustained numbers are lower, which the copy and torch.matmul anchors of the device check show.
 */
public record DevicePeaks(double bandwidth, double tensorFlops, String source) {

    /** Dense bf16 FLOPs per clock per SM with fp32 accumulation (mma/wgmma peak). */
    static int bf16FlopsPerClockPerSm(int ccMajor, int ccMinor) {
        if (ccMajor >= 9) return 4096;
        if (ccMajor == 8 && ccMinor == 0) return 2048;
        return 1024;
    }

    /**
     * @param clockKHz SM clock (CU_DEVICE_ATTRIBUTE_CLOCK_RATE); memClockKHz CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE;
     *                 busWidthBits CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH
     */
    public static DevicePeaks fromAttributes(int ccMajor, int ccMinor, int sms, int clockKHz, int memClockKHz, int busWidthBits) {
        double bw = 2.0 * memClockKHz * 1e3 * busWidthBits / 8;
        int perClock = bf16FlopsPerClockPerSm(ccMajor, ccMinor);
        double flops = (double) sms * clockKHz * 1e3 * perClock;
        String src = String.format("from device attributes: bandwidth = memory clock %d MHz x bus %d bits x 2 = %.2f TB/s; "
                        + "bf16 peak = %d SMs x %d MHz x %d FLOP/clk = %.0f TFLOP/s", memClockKHz / 1000, busWidthBits, bw / 1e12, sms,
                clockKHz / 1000, perClock, flops / 1e12);
        return new DevicePeaks(bw, flops, src);
    }

    /** The H100 numbers of the device README's roofline (3.0 TB/s, 790 TFLOP/s). */
    public static DevicePeaks readmeH100() {
        return new DevicePeaks(AttentionBench.BANDWIDTH, AttentionBench.TENSOR_FLOPS, "the device README's H100 constants (3.0 TB/s, 790 TFLOP/s)");
    }

    /** max(bytes / bandwidth, flops / tensor rate), in milliseconds. */
    public double rooflineMs(double bytes, double flops) { return 1e3 * Math.max(bytes / bandwidth, flops / tensorFlops); }
}
