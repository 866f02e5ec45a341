package io.hydragen.backend.cpu;

/**
 * Attention's two products over a bf16 KV tile, slots [x0, x1) of one head with x0 a multiple of 16, into a task's
 * {@link CpuAttention.Scratch}: scores S = Q·Kᵀ (unscaled, column 0 = slot x0) and O += P·V. With the AVX512_BF16
 * kernel the queries and probabilities are rounded to bf16 pairs and multiplied by vdpbf16ps with fp32 accumulation
 * (the keys are read once per tile for all the rows stacked in the task: Hydragen's batching); without it the tile is
 * widened to fp32 for SGEMM (the memory saving without the speed).
 */
final class Bf16KvProducts {
    private final int headDim;
    private final boolean kernel;

    Bf16KvProducts(int headDim, boolean kernel) {
        if (kernel && !Bf16Native.available()) throw new IllegalStateException("the BF16 kernel is not available: " + Bf16Native.unavailableReason());
        this.headDim = headDim;
        this.kernel = kernel;
    }

    void scores(CpuAttention.Scratch sc, int m, CpuKvSegment s, int layer, int head, int x0, int x1) {
        int d = headDim, w = x1 - x0;
        if (kernel) {
            if (!sc.qPacked) {
                Bf16Native.packRows(sc.q.pointer.address(), d, m, d, sc.qPairs.pointer.address());
                sc.qPacked = true;
            }
            long k = s.keys[layer].pointer.address() + 2 * s.keyBase(head);
            // the kernel writes column j at c + j: shift c back so slot x0 lands in column 0
            Bf16Native.gemm(sc.qPairs.pointer.address(), m, d, k, x0, x1, sc.s.pointer.address() - 4L * x0, CpuAttention.SCORE_STRIDE);
        } else {
            s.layout.widenKeys(s.keys[layer].bytes, s.keyBase(head), x0, x1, sc.keyTile);
            Blas.gemmNT(m, w, d, 1f, sc.q, 0, d, sc.keyTile, 0, d, 0f, sc.s, 0, CpuAttention.SCORE_STRIDE);
        }
    }

    void accumulateValues(CpuAttention.Scratch sc, int m, CpuKvSegment s, int layer, int head, int x0, int x1) {
        int d = headDim, w = x1 - x0;
        if (kernel) {
            int pairs = (w + 1) / 2;   // an odd span's last pair gets a zero probability from packRows
            Bf16Native.packRows(sc.s.pointer.address(), CpuAttention.SCORE_STRIDE, m, w, sc.pPairs.pointer.address());
            long v = s.values[layer].pointer.address() + 2 * s.valueBase(head);
            Bf16Native.accumulateValues(sc.pPairs.pointer.address(), pairs, m, pairs, v, s.layout.slotPairs, x0 / 2, d, sc.o.pointer.address(), d);
        } else {
            s.layout.widenValues(s.values[layer].bytes, s.valueBase(head), x0, x1, sc.valueTile);
            Blas.gemmNN(m, d, w, 1f, sc.s, 0, CpuAttention.SCORE_STRIDE, sc.valueTile, 0, d, 1f, sc.o, 0, d);
        }
    }
}
