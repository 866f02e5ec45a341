package io.hydragen.sampling;

import java.util.Arrays;

/**
 * The cut of a top-k or top-p filter without sorting: the largest key K such that the candidates with key ≥ K weigh at
 * least {@code need} (weight 1 each for top-k, the token's fixed-point probability for top-p). Radix selection over
 * the 32-bit order keys, 8 bits a pass from the top, as sampling.cu's {@code radix_select} does; each pass keeps only
 * the candidates of the chosen digit, so the work is O(candidates), not O(V log V). Integer weights make the cut
 * independent of summation order, which is what lets the host and the device agree exactly.
 */
final class RadixSelect {
    private RadixSelect() {}

    /**
     * @param key    order keys by token id ({@link Sampler#orderKey}), compared as unsigned
     * @param weight weights by token id, or null for 1 each
     * @param cand   the candidate token ids in [0, n); overwritten (the pass's survivors are compacted into it)
     * @param need   at least 1 and at most the candidates' total weight
     * @param hist   256 slots of scratch
     */
    static int largestKeyReaching(int[] key, long[] weight, int[] cand, int n, long need, long[] hist) {
        return refine(key, weight, cand, n, need, hist, 24, 0);
    }

    /**
     * The same cut where the caller has already summed the weights by the keys' high 16 bits ({@code highHist}, 65536
     * slots, nonzero only in [lowBin, highBin]) while computing them: one scan of the bins fixes the high half, and only
     * the candidates in the chosen bin are refined over the low 16 bits. Leaves {@code highHist} all zero again.
     */
    static int largestKeyReaching(int[] key, long[] weight, long[] highHist, int lowBin, int highBin, int[] cand, int n,
                                  long need, long[] hist) {
        long above = 0;
        int bin = lowBin;
        for (int b = highBin; b >= lowBin; b--) {
            if (above + highHist[b] >= need) { bin = b; break; }
            above += highHist[b];
        }
        java.util.Arrays.fill(highHist, lowBin, highBin + 1, 0L);
        int kept = 0;
        for (int j = 0; j < n; j++) if (key[cand[j]] >>> 16 == bin) cand[kept++] = cand[j];
        return refine(key, weight, cand, kept, need - above, hist, 8, bin << 16);
    }

    /** Radix passes from bit {@code shift} down, over candidates that all share {@code prefix} above it. */
    private static int refine(int[] key, long[] weight, int[] cand, int n, long need, long[] hist, int fromShift, int prefix) {
        for (int shift = fromShift; shift >= 0; shift -= 8) {
            Arrays.fill(hist, 0L);
            for (int j = 0; j < n; j++) {
                int i = cand[j];
                hist[(key[i] >>> shift) & 255] += weight == null ? 1L : weight[i];
            }
            long above = 0;
            int digit = 0;
            for (int b = 255; b >= 0; b--) {
                if (above + hist[b] >= need) { digit = b; break; }
                above += hist[b];
            }
            need -= above;      // what the chosen digit's bucket must still supply
            prefix |= digit << shift;
            int kept = 0;
            for (int j = 0; j < n; j++) {
                int i = cand[j];
                if (((key[i] >>> shift) & 255) == digit) cand[kept++] = i;
            }
            n = kept;
        }
        return prefix;
    }
}
