package io.hydragen.backend.cpu;

/**
 * y[n×out] = x[n×in] · Wᵀ for a {@link WeightMatrix}, the output columns split across the worker threads. fp32 weights
 * go to OpenBLAS SGEMM; bf16 weights to the AVX512_BF16 kernel when it runs here (activations rounded to bf16 once
 * per product, fp32 accumulation; where the CPU has AMX-BF16 and the inner size is a multiple of 32, every row on AMX
 * tiles and only a tail of fewer than 16 output columns on vdpbf16ps, so a row's result does not depend on how many
 * rows share the product), else each thread widens its columns to an fp32 panel for SGEMM. Where the backend splits a
 * product's input ({@link Bf16Split}: every one but the attention output by default) the kernel multiplies each
 * activation's high and low bf16 parts (two products into the same accumulators), so only the weights' own rounding
 * remains.
 */
final class MatMul implements AutoCloseable {
    /** Columns per kernel call are a multiple of this: the kernel's column group (4 blocks of 16). */
    private static final int GROUP = 64;
    /** Most columns one fallback panel widens at a time (keeps a thread's panel at most 1024 × in floats). */
    private static final int PANEL = 1024;

    private final Parallel parallel;
    private final boolean kernel;
    private final boolean amx;
    private final boolean split;
    private OffHeap packed;      // x as bf16 pairs, for the kernel
    private OffHeap packedLo;    // the low parts of x, when split
    private final ThreadLocal<OffHeap[]> panel = ThreadLocal.withInitial(() -> new OffHeap[1]);
    private final java.util.Queue<OffHeap> panels = new java.util.concurrent.ConcurrentLinkedQueue<>();   // to free on close

    /**
     * The kernel and AMX wherever they run.
     *
     * @param split whether the kernel carries the activations as hi + lo bf16 parts ({@link Bf16Split#activations})
     */
    static MatMul forBackend(Parallel parallel, boolean split) {
        boolean kernel = Bf16Native.available();
        return new MatMul(parallel, kernel, kernel && Bf16Native.amxAvailable(), split);
    }

    /** @param kernel false: bf16 weights take the widened-panel path even where the kernel runs (tests); activations rounded */
    MatMul(Parallel parallel, boolean kernel) { this(parallel, kernel, kernel && Bf16Native.amxAvailable(), false); }

    /**
     * @param amx   whether the kernel path puts whole tiles on AMX (false: vdpbf16ps only, to compare the two)
     * @param split whether the kernel carries the activations as hi + lo bf16 parts ({@link Bf16Split})
     */
    MatMul(Parallel parallel, boolean kernel, boolean amx, boolean split) {
        if (kernel && !Bf16Native.available()) throw new IllegalStateException("the BF16 kernel is not available: " + Bf16Native.unavailableReason());
        if (amx && !Bf16Native.amxAvailable()) throw new IllegalStateException("AMX is not available: " + Bf16Native.amxUnavailableReason());
        this.parallel = parallel;
        this.kernel = kernel;
        this.amx = amx && kernel;
        this.split = split;
    }

    /** Whether the kernel carries the activations as hi + lo bf16 parts. */
    boolean split() { return split; }

    /** Whether whole tiles of bf16 products run on AMX. */
    boolean amx() { return amx; }

    /** Whether bf16 products run on the AVX512_BF16 kernel (else on widened panels). */
    boolean bf16Kernel() { return kernel; }

    void apply(OffHeap x, WeightMatrix w, OffHeap y, int n) { apply(x, w, y, n, true); }

    /** @param maySplit false: this call rounds x to bf16 even where the kernel splits (CpuBackend's choice per product, {@link Bf16Split}) */
    void apply(OffHeap x, WeightMatrix w, OffHeap y, int n, boolean maySplit) {
        if (w instanceof Fp32Matrix f) sgemm(x, f.data(), y, n, f.rows(), f.cols());
        else if (kernel) bf16(x, (Bf16Matrix) w, y, n, split && maySplit);
        else widened(x, (Bf16Matrix) w, y, n);
    }

    /** The SGEMM path: also the rate measurement's. */
    void sgemm(OffHeap x, OffHeap weight, OffHeap y, int n, int out, int in) {
        int chunks = Math.min(out / 64 + 1, parallel.threads() * 4);
        int step = (out + chunks - 1) / chunks;
        parallel.forEach(chunks, i -> {
            int o0 = i * step, o1 = Math.min(out, o0 + step);
            if (o1 > o0) Blas.gemmNT(n, o1 - o0, in, 1f, x, 0, in, weight, (long) o0 * in, in, 0f, y, o0, out);
        });
    }

    private void bf16(OffHeap x, Bf16Matrix w, OffHeap y, int n, boolean split) {
        int out = w.rows(), in = w.cols();
        long pairs = (long) ((n + 31) & ~31) * ((in + 1) / 2);   // AMX reads whole groups of 32 rows
        if (packed == null || packed.length < pairs) {
            if (packed != null) packed.close();
            if (packedLo != null) packedLo.close();
            packed = new OffHeap(pairs);
            if (this.split) packedLo = new OffHeap(pairs);
        }
        long lo = split ? packedLo.pointer.address() : 0;
        Bf16Native.packRows(x.pointer.address(), in, n, in, packed.pointer.address(), lo);
        int groups = (out + GROUP - 1) / GROUP;
        int chunks = Math.min(groups, parallel.threads() * 4);
        int step = (groups + chunks - 1) / chunks * GROUP;
        long a = packed.pointer.address(), wp = w.data.pointer.address(), c = y.pointer.address();
        // AMX: columns in blocks of 16 (a tail of fewer goes to vdpbf16ps, for every row alike), inputs in steps of 32
        boolean tiles = amx && in % 32 == 0;
        parallel.forEach(chunks, i -> {
            int j0 = i * step, j1 = Math.min(out, j0 + step);
            if (j1 <= j0) return;
            int full = tiles ? j0 + ((j1 - j0) & ~15) : j0;
            if (full > j0) Bf16Native.amxGemm(a, lo, n, in, wp, j0, full, c, out);
            if (full < j1) Bf16Native.gemm(a, lo, n, in, wp, full, j1, c, out);
        });
    }

    private void widened(OffHeap x, Bf16Matrix w, OffHeap y, int n) {
        int out = w.rows(), in = w.cols();
        int chunks = Math.max(parallel.threads() * 4, (out + PANEL - 1) / PANEL);
        int step = (out + chunks - 1) / chunks;
        parallel.forEach(chunks, i -> {
            int o0 = i * step, o1 = Math.min(out, o0 + step);
            if (o1 <= o0) return;
            OffHeap[] holder = panel.get();
            if (holder[0] == null || holder[0].length < (long) step * in) {
                if (holder[0] != null) { panels.remove(holder[0]); holder[0].close(); }
                holder[0] = new OffHeap((long) step * in);
                panels.add(holder[0]);
            }
            w.widen(o0, o1, holder[0]);
            Blas.gemmNT(n, o1 - o0, in, 1f, x, 0, in, holder[0], 0, in, 0f, y, o0, out);
        });
    }

    @Override
    public void close() {
        if (packed != null) packed.close();
        if (packedLo != null) packedLo.close();
        packed = null;
        packedLo = null;
        for (OffHeap p; (p = panels.poll()) != null; ) p.close();
    }
}
