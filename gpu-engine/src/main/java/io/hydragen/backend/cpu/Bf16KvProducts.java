package io.hydragen.backend.cpu;

/**
 * Attention's two products over a bf16 KV tile, slots [x0, x1) of one head with x0 a multiple of 16, into a task's
 * {@link CpuAttention.Scratch}: scores S = Q·Kᵀ (unscaled, column 0 = slot x0) and O += P·V. With the AVX512_BF16
 * kernel the queries and probabilities are rounded to bf16 pairs and multiplied by vdpbf16ps with fp32 accumulation
 * (the keys are read once per tile for all the rows stacked in the task: Hydragen's batching); where the CPU has
 * AMX-BF16 and the head dim is a multiple of 32, both products run on AMX tiles instead (about ten times vdpbf16ps's
 * rate), for every task, the few rows of a per-row block padded to 32: one code path per score, so a row's scores
 * (and the bf16 rounding of its probabilities) do not depend on how many batch mates share its prefix. Without the
 * kernel the tile is widened to fp32 for SGEMM (the memory saving without the speed). With {@link Bf16Split}'s
 * queries and probabilities the kernel multiplies their high and low bf16 parts (two products into the same
 * accumulators): only the KV cache's own bf16 rounding remains.
 */
final class Bf16KvProducts {
    private final int headDim;
    private final boolean kernel;
    /** AMX runs here and the head dim is whole 32-dim tiles. */
    private final boolean amx;
    private final Bf16Split split;

    /** @param split which of Q and P the kernel carries as hi + lo parts (its activations are ignored here) */
    Bf16KvProducts(int headDim, boolean kernel, Bf16Split split) { this(headDim, kernel, kernel && Bf16Native.amxAvailable(), split); }

    /**
     * @param amx whether the products use the AMX tiles (where they run and headDim % 32 == 0)
     * @param split which of Q and P the kernel carries as hi + lo parts (its activations are ignored here)
     */
    Bf16KvProducts(int headDim, boolean kernel, boolean amx, Bf16Split split) {
        if (kernel && !Bf16Native.available()) throw new IllegalStateException("the BF16 kernel is not available: " + Bf16Native.unavailableReason());
        if (amx && !Bf16Native.amxAvailable()) throw new IllegalStateException("AMX is not available: " + Bf16Native.amxUnavailableReason());
        this.headDim = headDim;
        this.kernel = kernel;
        this.amx = amx && kernel && headDim % 32 == 0;
        this.split = split;
    }

    /** Where the native softmax writes the probabilities' low parts: sc.pLo when P is split, else 0 (none). */
    long probabilitiesLo(CpuAttention.Scratch sc) { return split.probabilities() ? sc.pLo.pointer.address() : 0; }

    /** Whether the products run on the native kernel (which then also takes the softmax: P arrives packed). */
    boolean kernel() { return kernel; }

    /** Rows the AMX products compute for m rows: whole groups of 32 (the scratch holds CpuAttention.MAX_QUERY_ROWS, a multiple of 32). */
    private static int amxRows(int m) { return (m + 31) & ~31; }

    void scores(CpuAttention.Scratch sc, int m, CpuKvSegment s, int layer, int head, int x0, int x1) {
        int d = headDim, w = x1 - x0;
        if (kernel) {
            long qLo = split.queries() ? sc.qLo.pointer.address() : 0;
            if (!sc.qPacked) {
                Bf16Native.packRows(sc.q.pointer.address(), d, m, d, sc.qPairs.pointer.address(), qLo);
                sc.qPacked = true;
            }
            long k = s.keys[layer].pointer.address() + 2 * s.keyBase(head);
            if (amx) {
                Bf16Native.amxScores(sc.qPairs.pointer.address(), qLo, 2 * d, amxRows(m), d, k, x0, x1, sc.s.pointer.address(), CpuAttention.SCORE_STRIDE);
                return;
            }
            // the kernel writes column j at c + j: shift c back so slot x0 lands in column 0
            Bf16Native.gemm(sc.qPairs.pointer.address(), qLo, m, d, k, x0, x1, sc.s.pointer.address() - 4L * x0, CpuAttention.SCORE_STRIDE);
        } else {
            s.layout.widenKeys(s.keys[layer].bytes, s.keyBase(head), x0, x1, sc.keyTile);
            Blas.gemmNT(m, w, d, 1f, sc.q, 0, d, sc.keyTile, 0, d, 0f, sc.s, 0, CpuAttention.SCORE_STRIDE);
        }
    }

    void accumulateValues(CpuAttention.Scratch sc, int m, CpuKvSegment s, int layer, int head, int x0, int x1) {
        int d = headDim, w = x1 - x0;
        if (kernel) {
            int pairs = (w + 1) / 2;   // P is packed already (CpuAttention's native softmax); an odd span's last pair is zero
            long v = s.values[layer].pointer.address() + 2 * s.valueBase(head), p = sc.pPairs.pointer.address();
            long pLo = probabilitiesLo(sc);
            int done = 0;   // pairs handled by AMX: whole 32-slot chunks (a chunk past the tile could read past the segment)
            if (amx) {
                int chunks = w / 32;
                if (chunks > 0) Bf16Native.amxValues(p, pLo, 4 * pairs, amxRows(m), chunks, v, s.layout.slotPairs, x0 / 2, d, sc.o.pointer.address(), d);
                done = 16 * chunks;
            }
            if (done < pairs) {
                Bf16Native.accumulateValues(p + 4L * done, pLo == 0 ? 0 : pLo + 4L * done, pairs, m, pairs - done, v, s.layout.slotPairs, x0 / 2 + done, d, sc.o.pointer.address(), d);
            }
        } else {
            s.layout.widenValues(s.values[layer].bytes, s.valueBase(head), x0, x1, sc.valueTile);
            Blas.gemmNN(m, d, w, 1f, sc.s, 0, CpuAttention.SCORE_STRIDE, sc.valueTile, 0, d, 1f, sc.o, 0, d);
        }
    }
}
