package io.hydragen.sampling;

/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC'11), the
 * counter-based generator sampling.cu uses: the same (counter, key) gives the same four words on the CPU and on
 * the GPU, so a draw depends only on (seed, step) and the CPU can check the device.
 */
public final class Philox {
    private Philox() {}

    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /** The four output words for counter (c0..c3) and key (k0, k1). */
    public static int[] philox4x32x10(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xffffffffL) * (c0 & 0xffffffffL);
            long p1 = (M1 & 0xffffffffL) * (c2 & 0xffffffffL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /** The 64-bit draw of step {@code step} for {@code seed}: words 1 (high) and 0 (low) of counter (step, 0, 0, 0). */
    public static long draw64(long seed, int step) {
        int[] x = philox4x32x10(step, 0, 0, 0, (int) seed, (int) (seed >>> 32));
        return ((long) x[1] << 32) | (x[0] & 0xffffffffL);
    }
}
