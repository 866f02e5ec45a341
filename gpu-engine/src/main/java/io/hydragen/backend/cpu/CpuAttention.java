package io.hydragen.backend.cpu;

import io.hydragen.attention.Lse;
import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.KvSegment;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Attention of one layer on the CPU, flash-style: every {@link AttentionBlock} is cut into tasks of
 * (KV head, row tile, key chunk); a task stacks the query heads of its KV head for all its rows into one matrix
 * (GQA: the group's heads share the keys), walks the keys in tiles with an online softmax, and leaves its
 * output and log-sum-exp. Partial results are then merged per row in a fixed order, so the result does not
 * depend on thread timing.
 *
 * <p>For a shared prefix in decode, one block holds the queries of every sequence under it: the score and value
 * products become matrix-matrix work (Hydragen's inter-sequence batching) instead of one matrix-vector product
 * per sequence.
 *
 * <p>A segment's KV is fp32 (OpenBLAS SGEMM) or bf16 ({@link Bf16KvProducts}: the AVX512_BF16 kernel, or widened
 * tiles for SGEMM without it); the softmax and the merge are fp32 either way.
 */
final class CpuAttention {
    /** Keys per score tile: a tile of scores for 256 stacked queries stays in L2. */
    static final int KEY_TILE = 256;
    /** Keys per task: fixed absolute boundaries, so long prefixes spread over threads (split-K). */
    static final int KEY_CHUNK = 2048;
    /** Most stacked query rows per task. */
    static final int MAX_QUERY_ROWS = 256;
    /** Columns of a score row: a tile plus the up to 15 slots before it that align a bf16 tile to its 16-slot block. */
    static final int SCORE_STRIDE = KEY_TILE + 16;
    private static final double LN2 = Math.log(2), LOG2E = 1 / Math.log(2);

    private final int numHeads, kvHeads, headDim, group;
    private final float scale;
    private final ThreadLocal<Scratch> scratch;
    private final Bf16KvProducts bf16;

    /** Q and P rounded to bf16 on the kernel (no {@link Bf16Split}). */
    CpuAttention(int numHeads, int kvHeads, int headDim) { this(numHeads, kvHeads, headDim, Bf16Native.available(), Bf16Split.NONE); }

    /** @param kernel whether bf16 KV goes to the AVX512_BF16 kernel (false: widened tiles for SGEMM, as without it) */
    CpuAttention(int numHeads, int kvHeads, int headDim, boolean kernel) { this(numHeads, kvHeads, headDim, kernel, Bf16Split.NONE); }

    /** @param split which of Q and P the kernel carries as hi + lo bf16 parts (its activations are ignored here) */
    CpuAttention(int numHeads, int kvHeads, int headDim, boolean kernel, Bf16Split split) {
        this.numHeads = numHeads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.group = numHeads / kvHeads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(MAX_QUERY_ROWS, headDim, SCORE_STRIDE));
        this.bf16 = new Bf16KvProducts(headDim, kernel, split);
    }

    private record Task(AttentionBlock block, int kvHead, int r0, int r1, int k0, int k1) {}

    /** One task's normalised output [m × headDim] and log-sum-exps [m]; kept and regrown, so a pass allocates none. */
    private static final class Partial {
        float[] out = new float[0];
        float[] lse = new float[0];

        Partial fit(int m, int d) {
            if (out.length < m * d) out = new float[m * d];
            if (lse.length < m) lse = new float[m];
            return this;
        }
    }

    /**
     * The merge's workspace, reused by every layer and pass: one Partial per task index and the accumulators. forward
     * runs one pass at a time per instance (the backend's forward is synchronized), so the fields are not shared.
     */
    private Partial[] partials = new Partial[0];
    private float[] acc = new float[0], accLse = new float[0];

    /** Off-heap bytes of one thread's scratch, allocated on the thread's first attention task and kept with it. */
    static long scratchBytes(int headDim) {
        long d2 = (headDim + 1) / 2;
        return 4L * (2L * MAX_QUERY_ROWS * headDim + (long) MAX_QUERY_ROWS * SCORE_STRIDE    // q, o, s
                + 2L * (MAX_QUERY_ROWS * d2 + (long) MAX_QUERY_ROWS * SCORE_STRIDE / 2)      // q and p as bf16 pairs, high and low parts
                + 2L * SCORE_STRIDE * headDim                                               // widened key and value tiles
                + 4L * MAX_QUERY_ROWS);                                                     // native softmax's row state
    }

    static final class Scratch {
        final OffHeap q, s, o;
        /** bf16 KV: the queries and the probabilities as bf16 pairs, and widened tiles for the path without the kernel. */
        final OffHeap qPairs, pPairs, keyTile, valueTile;
        /** The low parts of the queries and probabilities (Bf16Split), in qPairs' and pPairs' layouts. */
        final OffHeap qLo, pLo;
        /** Whether qPairs holds this task's queries yet. */
        boolean qPacked;
        /** The native softmax's per-row exchange: visible keys (ints), tile max, running exponent, tile sum; m of each. */
        final OffHeap rowState;
        /** Native softmax: each row's running max as a power of two (Integer.MIN_VALUE: none yet); used when base2. */
        final int[] rowExp;
        boolean base2;
        final float[] rowMax, rowSum;
        final int[] limit;

        Scratch(int m, int d, int t) {
            q = new OffHeap((long) m * d);
            s = new OffHeap((long) m * t);
            o = new OffHeap((long) m * d);
            qPairs = new OffHeap((long) m * ((d + 1) / 2));
            pPairs = new OffHeap((long) m * t / 2);
            qLo = new OffHeap((long) m * ((d + 1) / 2));
            pLo = new OffHeap((long) m * t / 2);
            keyTile = new OffHeap((long) t * d);
            valueTile = new OffHeap((long) t * d);
            rowState = new OffHeap(4L * m);
            rowExp = new int[m];
            rowMax = new float[m];
            rowSum = new float[m];
            limit = new int[m];
        }
    }

    /**
     * @param q queries [rows × numHeads·headDim], rotated
     * @param out attention output [rows × numHeads·headDim], overwritten
     */
    void forward(int layer, OffHeap q, int rows, List<AttentionBlock> blocks, OffHeap out, Parallel parallel) {
        forward(layer, q, rows, blocks, out, parallel, StepProfile.OFF);
    }

    void forward(int layer, OffHeap q, int rows, List<AttentionBlock> blocks, OffHeap out, Parallel parallel, StepProfile profile) {
        long t0 = profile.start();
        List<Task> tasks = plan(blocks);
        Partial[] partials = partials(tasks.size());
        parallel.forEach(tasks.size(), i -> {
            long s = profile.start();
            run(layer, q, tasks.get(i), partials[i]);
            if (profile.on()) profile.attentionTask(tasks.get(i).block.rows().length > 1, System.nanoTime() - s);
        });
        profile.stop(StepProfile.Phase.ATTENTION, t0);
        t0 = profile.start();

        int qDim = numHeads * headDim;
        if (acc.length < rows * qDim) acc = new float[rows * qDim];
        if (accLse.length < rows * numHeads) accLse = new float[rows * numHeads];
        float[] acc = this.acc, accLse = this.accLse;
        // a row no task reaches stays all zeros, as in a fresh array (a -inf lse makes the first merge a copy)
        Arrays.fill(acc, 0, rows * qDim, 0f);
        Arrays.fill(accLse, 0, rows * numHeads, Float.NEGATIVE_INFINITY);
        // Tasks of different KV heads write disjoint (row, head) pairs: merge per KV head in parallel, in task order.
        parallel.forEach(kvHeads, h -> {
            for (int t = 0; t < tasks.size(); t++) {
                Task task = tasks.get(t);
                if (task.kvHead != h) continue;
                Partial p = partials[t];
                for (int i = 0; i < (task.r1 - task.r0) * group; i++) {
                    int row = task.block.rows()[task.r0 + i / group];
                    int head = task.kvHead * group + i % group;
                    Lse.mergeInto(acc, row * qDim + head * headDim, accLse, row * numHeads + head, p.out, i * headDim, p.lse[i], headDim);
                }
            }
        });
        out.floats.put(0, acc, 0, rows * qDim);
        profile.stop(StepProfile.Phase.ATTENTION_MERGE, t0);
    }

    /** At least n reusable partials. */
    private Partial[] partials(int n) {
        if (partials.length < n) {
            Partial[] grown = Arrays.copyOf(partials, Math.max(n, 2 * partials.length));
            for (int i = partials.length; i < grown.length; i++) grown[i] = new Partial();
            partials = grown;
        }
        return partials;
    }

    private List<Task> plan(List<AttentionBlock> blocks) {
        List<Task> tasks = new ArrayList<>();
        int rowTile = Math.max(1, MAX_QUERY_ROWS / group);
        for (AttentionBlock b : blocks) {
            int full = b.fullyVisibleKeys();
            for (int h = 0; h < kvHeads; h++) {
                for (int r0 = 0; r0 < b.rows().length; r0 += rowTile) {
                    int r1 = Math.min(b.rows().length, r0 + rowTile);
                    int maxVisible = 0;
                    for (int r = r0; r < r1; r++) maxVisible = Math.max(maxVisible, b.visibleInLast()[r]);
                    int keys = full + maxVisible;
                    for (int k0 = 0; k0 < Math.max(keys, 1); k0 += KEY_CHUNK) {
                        tasks.add(new Task(b, h, r0, r1, k0, Math.min(keys, k0 + KEY_CHUNK)));
                    }
                }
            }
        }
        return tasks;
    }

    private void run(int layer, OffHeap q, Task task, Partial into) {
        Scratch sc = scratch.get();
        int d = headDim, m = (task.r1 - task.r0) * group, qDim = numHeads * d;
        AttentionBlock b = task.block;
        int full = b.fullyVisibleKeys();
        int maxLimit = 0;
        for (int i = 0; i < m; i++) {
            int row = b.rows()[task.r0 + i / group];
            sc.q.floats.put(i * d, q.floats, row * qDim + (task.kvHead * group + i % group) * d, d);
            sc.limit[i] = full + b.visibleInLast()[task.r0 + i / group];
            maxLimit = Math.max(maxLimit, sc.limit[i]);
        }
        Arrays.fill(sc.rowMax, 0, m, Float.NEGATIVE_INFINITY);
        Arrays.fill(sc.rowSum, 0, m, 0f);
        sc.o.pointer.zero();   // one memset rather than m·d buffer writes
        sc.qPacked = false;
        sc.base2 = false;
        Arrays.fill(sc.rowExp, 0, m, Integer.MIN_VALUE);

        int segStart = 0;
        int end = Math.min(task.k1, maxLimit);
        for (KvSegment seg : b.segments()) {
            CpuKvSegment s = (CpuKvSegment) seg;
            int segEnd = segStart + s.length();
            for (int a = Math.max(task.k0, segStart); a < Math.min(end, segEnd); a += KEY_TILE) {
                int t = Math.min(KEY_TILE, Math.min(end, segEnd) - a);
                if (s.layout != null) {
                    bf16Tile(sc, m, a, t, s, layer, task.kvHead, a - segStart);
                } else {
                    long kv = s.offset(task.kvHead, a - segStart);
                    tile(sc, m, a, t, s.keys[layer], s.values[layer], kv);
                }
            }
            segStart = segEnd;
        }

        Partial p = into.fit(m, d);
        sc.o.floats.get(0, p.out, 0, m * d);   // one bulk copy, then normalise on the heap
        for (int i = 0; i < m; i++) {
            float l = sc.rowSum[i];
            if (l == 0f) {
                p.lse[i] = Float.NEGATIVE_INFINITY;
                Arrays.fill(p.out, i * d, (i + 1) * d, 0f);
                continue;
            }
            float inv = 1f / l;
            for (int j = i * d; j < (i + 1) * d; j++) p.out[j] *= inv;
            p.lse[i] = (sc.base2 ? (float) (sc.rowExp[i] * LN2) : sc.rowMax[i]) + (float) Math.log(l);
        }
    }

    /** One tile of t fp32 keys starting at concatenated index a: scores, online softmax update, P·V. */
    private void tile(Scratch sc, int m, int a, int t, OffHeap keys, OffHeap values, long kv) {
        int d = headDim;
        Blas.gemmNT(m, t, d, scale, sc.q, 0, d, keys, kv, d, 0f, sc.s, 0, SCORE_STRIDE);
        softmax(sc, m, a, t, 0, 1f);
        Blas.gemmNN(m, d, t, 1f, sc.s, 0, SCORE_STRIDE, values, kv, d, 1f, sc.o, 0, d);
    }

    /**
     * One tile of t bf16 keys at concatenated index a, slot x of segment s: the products run over the aligned span
     * from slot x - x % 16, whose first x % 16 columns the softmax zeroes (they belong to the tile before).
     */
    private void bf16Tile(Scratch sc, int m, int a, int t, CpuKvSegment s, int layer, int kvHead, int x) {
        int x0 = x & ~15, shift = x - x0;
        bf16.scores(sc, m, s, layer, kvHead, x0, x + t);
        if (bf16.kernel()) nativeSoftmax(sc, m, a, t, shift);
        else softmax(sc, m, a, t, shift, scale);
        bf16.accumulateValues(sc, m, s, layer, kvHead, x0, x + t);
    }

    /**
     * {@link #softmax} on the native kernel, for bf16 KV: the tile's row maxima and then the probabilities (written as
     * the bf16 pairs P·V reads, in sc.pPairs) are computed natively in two passes over the scores; the running max and
     * sum and the rescaling of the output stay here, between the two calls. In base 2 with an integer running max
     * (see bf16_softmax.cpp): the rescaling is exact and a probability's bf16 value does not depend on how the row's
     * keys are split into tiles and blocks, so a row's output does not depend on its batch mates beyond fp32 rounding.
     */
    private void nativeSoftmax(Scratch sc, int m, int a, int t, int shift) {
        ByteBuffer st = sc.rowState.bytes;
        int visibleAt = 0, maxAt = 4 * m, expAt = 8 * m, sumAt = 12 * m;   // byte offsets of the four row arrays
        for (int i = 0; i < m; i++) st.putInt(visibleAt + 4 * i, Math.max(0, Math.min(t, sc.limit[i] - a)));
        long base = sc.rowState.pointer.address(), sAddr = sc.s.pointer.address();
        float toLog2 = (float) (scale * LOG2E);
        Bf16Native.tileMax(sAddr, SCORE_STRIDE, m, shift, base + visibleAt, toLog2, base + maxAt);
        VectorMath vm = VectorMath.INSTANCE;
        sc.base2 = true;
        for (int i = 0; i < m; i++) {
            if (st.getInt(visibleAt + 4 * i) == 0) continue;
            int prev = sc.rowExp[i], next = Math.max(prev, (int) Math.rint(st.getFloat(maxAt + 4 * i)));
            if (prev != Integer.MIN_VALUE && next != prev) {
                float corr = Math.scalb(1f, prev - next);   // a power of two: exact
                sc.rowSum[i] *= corr;
                vm.scale(sc.o.bytes, i * headDim, headDim, corr);
            }
            sc.rowExp[i] = next;
            st.putFloat(expAt + 4 * i, next);
        }
        Bf16Native.expPack(sAddr, SCORE_STRIDE, m, shift, base + visibleAt, toLog2, base + expAt, base + sumAt,
                sc.pPairs.pointer.address(), bf16.probabilitiesLo(sc), (shift + t + 1) / 2);
        for (int i = 0; i < m; i++) sc.rowSum[i] += st.getFloat(sumAt + 4 * i);
    }

    /**
     * Online softmax over score columns [shift, shift + t) (key a is column shift): multiplies the visible scores by
     * {@code by}, turns them into exp(s - running max), rescales the row's running output and sum when the max grows,
     * and zeroes every other column in [0, shift + t) so the value product skips them.
     */
    private void softmax(Scratch sc, int m, int a, int t, int shift, float by) {
        int d = headDim;
        VectorMath vm = VectorMath.INSTANCE;
        ByteBuffer s = sc.s.bytes;
        for (int i = 0; i < m; i++) {
            int row = i * SCORE_STRIDE, off = row + shift;
            int visible = Math.max(0, Math.min(t, sc.limit[i] - a));
            for (int j = row; j < off; j++) s.putFloat(j << 2, 0f);
            if (visible < t) for (int j = visible; j < t; j++) s.putFloat((off + j) << 2, 0f);
            if (visible == 0) continue;
            if (by != 1f) vm.scale(s, off, visible, by);
            float prev = sc.rowMax[i];
            float next = Math.max(prev, vm.max(s, off, visible));
            float sum = vm.expShiftSum(s, off, visible, next);
            if (prev != Float.NEGATIVE_INFINITY && next != prev) {
                float corr = (float) Math.exp(prev - next);
                sc.rowSum[i] *= corr;
                vm.scale(sc.o.bytes, i * d, d, corr);
            }
            sc.rowSum[i] += sum;
            sc.rowMax[i] = next;
        }
    }
}
