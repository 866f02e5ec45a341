package io.hydragen.backend.cpu;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.AttentionBlock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One decode step of attention alone on the CPU (one layer, KV in fp32 or bf16): B sequences sharing a P-token prefix
 * with S tokens of their own, in the three ways the engine can compute it. Random KV (zeros can run faster than real data).
 */
public final class CpuAttentionBench {
    private CpuAttentionBench() {}

    public record Shape(int batch, int prefixTokens, int suffixTokens, int qHeads, int kvHeads, int headDim) {
        /** FLOPs of QKᵀ and PV over every visible key of every query head. */
        public double flops() { return 4.0 * batch * qHeads * ((double) prefixTokens + suffixTokens) * headDim; }

        /** Bytes of the private per-sequence KV copies (K and V in the given dtype). */
        long privateKvBytes(CpuDtype kv) { return 2L * kv.bytes() * batch * (prefixTokens + suffixTokens) * kvHeads * headDim; }
    }

    /** @param kvDtype the KV cache's storage type of this entry */
    public record Result(String mode, CpuDtype kvDtype, double medianMs, double minMs, double maxMs, double gflops) {}

    /** fp32 KV, as before the bf16 cache. */
    public static List<Result> run(Shape s, List<AttentionMode> modes, int threads, int warmup, int reps) {
        return run(s, modes, List.of(CpuDtype.FP32), threads, warmup, reps);
    }

    /**
     * Times each KV dtype and, within it, each mode ({@code NONE} is skipped: there is nothing to time); per-sequence
     * needs private KV copies in RAM. Every dtype gets the same queries and the same random KV (bf16: rounded).
     */
    public static List<Result> run(Shape s, List<AttentionMode> modes, List<CpuDtype> kvDtypes, int threads, int warmup, int reps) {
        List<Result> out = new ArrayList<>();
        for (CpuDtype kv : kvDtypes) out.addAll(run(s, modes, kv, threads, warmup, reps));
        return out;
    }

    private static List<Result> run(Shape s, List<AttentionMode> modes, CpuDtype kvDtype, int threads, int warmup, int reps) {
        List<Result> out = new ArrayList<>();
        Random rnd = new Random(1);
        int rows = s.batch();
        try (Parallel parallel = new Parallel(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
             OffHeap q = new OffHeap((long) rows * s.qHeads() * s.headDim());
             OffHeap o = new OffHeap((long) rows * s.qHeads() * s.headDim())) {
            for (int i = 0; i < q.length; i++) q.set(i, (float) rnd.nextGaussian());
            CpuAttention attention = new CpuAttention(s.qHeads(), s.kvHeads(), s.headDim());
            List<CpuKvSegment> owned = new ArrayList<>();
            try {
                CpuKvSegment prefix = filled(s, s.prefixTokens(), kvDtype, rnd, owned);
                List<CpuKvSegment> own = new ArrayList<>();
                for (int b = 0; b < rows; b++) own.add(filled(s, s.suffixTokens(), kvDtype, rnd, owned));
                for (AttentionMode mode : modes) {
                    if (mode == AttentionMode.NONE) continue;
                    List<AttentionBlock> blocks = blocks(mode, s, prefix, own, owned);
                    double[] ms = new double[reps];
                    for (int i = 0; i < warmup; i++) attention.forward(0, q, rows, blocks, o, parallel);
                    for (int i = 0; i < reps; i++) {
                        long t = System.nanoTime();
                        attention.forward(0, q, rows, blocks, o, parallel);
                        ms[i] = (System.nanoTime() - t) / 1e6;
                    }
                    Arrays.sort(ms);
                    double median = ms[reps / 2];
                    out.add(new Result(mode.cliName(), kvDtype, median, ms[0], ms[reps - 1], s.flops() / (median / 1e3) / 1e9));
                }
            } finally {
                for (CpuKvSegment k : owned) k.close();
            }
        }
        return out;
    }

    private static List<AttentionBlock> blocks(AttentionMode mode, Shape s, CpuKvSegment prefix, List<CpuKvSegment> own,
                                               List<CpuKvSegment> owned) {
        int rows = s.batch();
        List<AttentionBlock> blocks = new ArrayList<>();
        switch (mode) {
            case HYDRAGEN -> {
                int[] all = new int[rows], full = new int[rows];
                for (int r = 0; r < rows; r++) { all[r] = r; full[r] = s.prefixTokens(); }
                blocks.add(new AttentionBlock(List.of(prefix), all, full));
                for (int r = 0; r < rows; r++) blocks.add(new AttentionBlock(List.of(own.get(r)), new int[] {r}, new int[] {s.suffixTokens()}));
            }
            case PER_SEQUENCE_SHARED_KV -> {
                for (int r = 0; r < rows; r++) blocks.add(new AttentionBlock(List.of(prefix, own.get(r)), new int[] {r}, new int[] {s.suffixTokens()}));
            }
            case PER_SEQUENCE -> {
                if (s.privateKvBytes(prefix.dtype) > Runtime.getRuntime().maxMemory() * 2) {
                    throw new IllegalArgumentException("per-sequence needs " + (s.privateKvBytes(prefix.dtype) >> 20) + " MiB of private KV copies; use a smaller shape");
                }
                int n = s.prefixTokens() + s.suffixTokens();
                for (int r = 0; r < rows; r++) {
                    CpuKvSegment copy = new CpuKvSegment(1, s.kvHeads(), s.headDim(), n, prefix.dtype);
                    owned.add(copy);
                    copy.setLength(n);
                    if (prefix.dtype != CpuDtype.FP32) {   // the packed layout: the segment's own copy
                        copy.copyFrom(prefix, 0, 0, s.prefixTokens());
                        copy.copyFrom(own.get(r), 0, s.prefixTokens(), s.suffixTokens());
                        blocks.add(new AttentionBlock(List.of(copy), new int[] {r}, new int[] {n}));
                        continue;
                    }
                    for (int h = 0; h < s.kvHeads(); h++) {
                        copy.keys[0].floats.put((int) copy.offset(h, 0), prefix.keys[0].floats, (int) prefix.offset(h, 0), s.prefixTokens() * s.headDim());
                        copy.values[0].floats.put((int) copy.offset(h, 0), prefix.values[0].floats, (int) prefix.offset(h, 0), s.prefixTokens() * s.headDim());
                        CpuKvSegment o = own.get(r);
                        copy.keys[0].floats.put((int) copy.offset(h, s.prefixTokens()), o.keys[0].floats, (int) o.offset(h, 0), s.suffixTokens() * s.headDim());
                        copy.values[0].floats.put((int) copy.offset(h, s.prefixTokens()), o.values[0].floats, (int) o.offset(h, 0), s.suffixTokens() * s.headDim());
                    }
                    blocks.add(new AttentionBlock(List.of(copy), new int[] {r}, new int[] {n}));
                }
            }
            default -> throw new IllegalArgumentException("no attention to time for " + mode.cliName());
        }
        return blocks;
    }

    private static CpuKvSegment filled(Shape s, int n, CpuDtype kv, Random rnd, List<CpuKvSegment> owned) {
        CpuKvSegment seg = new CpuKvSegment(1, s.kvHeads(), s.headDim(), Math.max(1, n), kv);
        owned.add(seg);
        seg.setLength(n);
        for (int h = 0; h < s.kvHeads(); h++) {
            for (int slot = 0; slot < n; slot++) {
                for (int i = 0; i < s.headDim(); i++) {
                    seg.setKey(0, h, slot, i, (float) rnd.nextGaussian());
                    seg.setValue(0, h, slot, i, (float) rnd.nextGaussian());
                }
            }
        }
        return seg;
    }
}
