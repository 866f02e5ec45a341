package io.hydragen.backend.cpu;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.backend.NextTokens;
import io.hydragen.model.Model;
import io.hydragen.model.ModelConfig;
import io.hydragen.backend.cpu.StepProfile.Phase;
import io.hydragen.sampling.RowSampling;

/**
 * The Llama forward pass on the CPU, top to bottom: embedding, then per layer rmsnorm → q/k/v → rope →
 * attention (Hydragen blocks) → o → residual → rmsnorm → SwiGLU MLP → residual, then the final norm and the LM
 * head for the rows whose logits are wanted. Matrix products go to OpenBLAS, split across threads by output column.
 */
public final class CpuBackend implements Backend {
    private final ModelConfig c;
    private final CpuWeights w;
    private final CpuDtype kvDtype;
    private final CpuAttention attention;
    private final RopeTable rope;
    private final Parallel parallel;
    private final Workspace ws = new Workspace();
    private final Ops ops;
    private final MatMul matmul;
    private final Bf16Split split;
    private final StepProfile profile = new StepProfile();

    /**
     * @throws io.hydragen.model.ModelException when a weight matrix is too large for one off-heap buffer or the weights
     *                                          cannot fit JavaCPP's memory limit (checked before allocating)
     * @throws io.hydragen.backend.AllocationException when the weights do not fit in memory
     */
    public CpuBackend(Model model, int threads) { this(model, threads, CpuDtype.FP32); }

    /** @param dtype how the matrix weights are stored and multiplied ({@link CpuDtype#resolve} turns a setting into one); KV in fp32 */
    public CpuBackend(Model model, int threads, CpuDtype dtype) { this(model, threads, dtype, CpuDtype.FP32); }

    /**
     * @param kvDtype how the KV cache is stored ({@link CpuDtype#resolveKvCache} turns a setting into one); with the
     *                weights' dtype it decides which operands the bf16 kernel splits ({@link Bf16Split#configured})
     */
    public CpuBackend(Model model, int threads, CpuDtype dtype, CpuDtype kvDtype) {
        this.c = model.config();
        this.kvDtype = kvDtype;
        this.split = Bf16Split.configured(dtype, kvDtype);
        this.w = new CpuWeights(c, model.weights(), dtype);
        this.attention = new CpuAttention(c.numHeads(), c.numKvHeads(), c.headDim(), Bf16Native.available(), split);
        this.rope = new RopeTable(c);
        this.parallel = new Parallel(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        this.ops = new Ops(parallel);
        this.matmul = MatMul.forBackend(parallel, split.activations() || split.attentionOutput());
    }

    /** Bytes the weight matrices hold off the heap. */
    public long weightBytes() { return w.bytes(); }

    /** The weights' storage type. */
    public CpuDtype dtype() { return w.dtype; }

    /** The KV cache's storage type. */
    public CpuDtype kvDtype() { return kvDtype; }

    /** Which operands the bf16 kernel carries as hi + lo parts (chosen from both dtypes when the backend was built). */
    public Bf16Split split() { return split; }

    /** How attention reads the KV cache: "fp32 (OpenBLAS SGEMM)", "bf16 (AMX-BF16 tiles ...)", "bf16 (AVX512_BF16 kernel)" or "bf16 (widened to fp32 tiles: ...)". */
    public String kvPath() {
        if (kvDtype == CpuDtype.FP32) return "fp32 (OpenBLAS SGEMM)";
        if (!Bf16Native.available()) return "bf16 (widened to fp32 tiles: " + CpuDtype.whyNotBf16() + ")";
        if (Bf16Native.amxAvailable() && c.headDim() % 32 == 0) return "bf16 (AMX-BF16 tiles)";
        return "bf16 (AVX512_BF16 kernel" + (Bf16Native.amxAvailable() ? ", head dim not a multiple of 32 for AMX" : "") + ")";
    }

    /** How the matrix products run: "fp32 (OpenBLAS SGEMM)", "bf16 (AVX512_BF16 kernel[; activations split ...])" or "bf16 (widened to fp32 panels: ...)". */
    public String matmulPath() {
        if (w.dtype == CpuDtype.FP32) return "fp32 (OpenBLAS SGEMM)";
        if (!matmul.bf16Kernel()) return "bf16 (widened to fp32 panels: " + CpuDtype.whyNotBf16() + ")";
        String how = matmul.amx() ? "AMX-BF16 tiles, AVX512_BF16 kernel for the tails" : "AVX512_BF16 kernel";
        return "bf16 (" + how + (matmul.split() ? "; activations split into hi + lo bf16" : "") + ")";
    }

    @Override public String name() { return "cpu"; }

    @Override public ModelConfig config() { return c; }

    public int threads() { return parallel.threads(); }

    @Override
    public KvSegment newSegment(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("KV segment capacity must be >= 0, got " + capacity);
        return new CpuKvSegment(c.numLayers(), c.numKvHeads(), c.headDim(), capacity, kvDtype);
    }

    /**
     * Keys and values of every layer in the KV dtype: layers × kvHeads × headDim × 2 × (4 or 2) bytes. A bf16 segment
     * also rounds its capacity (and head dim) up to 16, zero padding this does not count.
     */
    @Override
    public long kvBytesPerToken() { return kvBytesPerToken(c, kvDtype); }

    static long kvBytesPerToken(ModelConfig c, CpuDtype kv) { return (long) c.numLayers() * c.numKvHeads() * c.headDim() * 2 * kv.bytes(); }

    @Override
    public long availableMemoryBytes() { return availableOffHeapBytes(); }

    /**
     * Off-heap bytes each of a backend's threads allocates once, on the first attention task it happens to claim (tasks
     * are claimed dynamically, so when that is depends on timing): not a per-pass cost, for tests that watch memory.
     */
    public static long attentionScratchBytesPerThread(ModelConfig c) { return CpuAttention.scratchBytes(c.headDim()); }

    /** JavaCPP's limit ({@code org.bytedeco.javacpp.maxBytes}, 0 = none) less its allocations, at most the free physical memory. */
    static long availableOffHeapBytes() {
        long avail = Long.MAX_VALUE;
        long max = org.bytedeco.javacpp.Pointer.maxBytes();
        if (max > 0) avail = Math.max(0, max - org.bytedeco.javacpp.Pointer.totalBytes());
        try {
            long physical = org.bytedeco.javacpp.Pointer.availablePhysicalBytes();
            if (physical > 0) avail = Math.min(avail, physical);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            // no native probe on this platform: JavaCPP's own limit is all we know
        }
        return avail;
    }

    @Override
    public void copyKv(KvSegment src, int srcFrom, KvSegment dst, int dstFrom, int n) {
        ((CpuKvSegment) dst).copyFrom((CpuKvSegment) src, srcFrom, dstFrom, n);
    }

    @Override
    public synchronized float[][] forward(ForwardBatch batch, AttentionMode mode) {
        long start = layers(batch, mode);
        int k = lmHead(batch.logitRows());
        long t = profile.start();
        float[][] out = new float[k][];
        for (int i = 0; i < k; i++) out[i] = LogitPicks.row(ws.logits, i, c.vocabSize(), new float[c.vocabSize()]);
        lap(Phase.LOGITS_COPY, t);
        profile.forwardDone(start);
        return out;
    }


    /** Embedding and every layer; the hidden states are left in ws.x. Returns the pass's start time for the profile. */
    private long layers(ForwardBatch batch, AttentionMode mode) {
        int n = batch.rows(), h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize();
        int qkvDim = q + 2 * kv;
        ws.ensure(n, c);
        StepProfile p = profile;
        p.begin(batch.logitRows().length == n ? StepProfile.Pass.DECODE : StepProfile.Pass.PREFILL);
        long start = p.start(), t = start;

        ops.embed(w.embed, batch.tokens(), ws.x, h);
        t = lap(Phase.EMBED, t);
        for (int l = 0; l < c.numLayers(); l++) {
            io.hydragen.backend.Cancellation.check();
            CpuWeights.Layer L = w.layers[l];
            // attention
            ops.rmsnorm(ws.x, ws.h, L.attnNorm, n, h, (float) c.rmsNormEps());
            t = lap(Phase.NORM, t);
            linear(ws.h, L.qkv, ws.qkv, n, qkvDim, h);
            if (L.qkvBias != null) ops.addBias(ws.qkv, L.qkvBias, n, qkvDim);
            t = lap(Phase.QKV_PROJ, t);
            rope.prepare(batch.positions());
            ops.parallelRows(n, q + kv, (r0, r1) -> {
                rope.apply(ws.qkv, batch.positions(), r0, r1, qkvDim, 0, c.numHeads());
                rope.apply(ws.qkv, batch.positions(), r0, r1, qkvDim, q, c.numKvHeads());
                return 0;
            });
            t = lap(Phase.ROPE, t);
            ops.splitQ(ws.qkv, ws.q, n, qkvDim, q);
            writeKv(batch, l, n, qkvDim, q, kv);
            t = lap(Phase.KV_WRITE, t);
            if (mode == AttentionMode.NONE) ws.att.floats.put(0, new float[n * q]);
            else attention.forward(l, ws.q, n, batch.blocks(), ws.att, parallel, p);
            t = p.start();
            linear(ws.att, L.o, ws.h, n, h, q, split.attentionOutput());
            if (L.oBias != null) ops.addBias(ws.h, L.oBias, n, h);
            t = lap(Phase.O_PROJ, t);
            ops.residual(ws.x, ws.h, n, h);
            t = lap(Phase.RESIDUAL, t);
            // MLP
            ops.rmsnorm(ws.x, ws.h, L.mlpNorm, n, h, (float) c.rmsNormEps());
            t = lap(Phase.NORM, t);
            linear(ws.h, L.gateUp, ws.gateUp, n, 2 * im, h);
            t = lap(Phase.GATE_UP_PROJ, t);
            ops.swiglu(ws.gateUp, ws.ffn, n, im);
            t = lap(Phase.SWIGLU, t);
            linear(ws.ffn, L.down, ws.h, n, h, im);
            t = lap(Phase.DOWN_PROJ, t);
            ops.residual(ws.x, ws.h, n, h);
            t = lap(Phase.RESIDUAL, t);
        }
        return start;
    }

    /** Adds the time since {@code t0} to {@code phase} and returns the new start (0 when profiling is off). */
    private long lap(Phase phase, long t0) {
        profile.stop(phase, t0);
        return profile.start();
    }

    /** Final norm and LM head of the given rows of ws.x into ws.logits [k × vocab], off the heap; returns k. */
    private int lmHead(int[] rows) {
        int k = rows.length, v = c.vocabSize(), h = c.hiddenSize();
        if (k == 0) return 0;
        ws.ensureLogits(k, v, h);
        long t = profile.start();
        for (int i = 0; i < k; i++) ws.last.floats.put(i * h, ws.x.floats, rows[i] * h, h);
        ops.rmsnorm(ws.last, ws.last, w.finalNorm, k, h, (float) c.rmsNormEps());
        t = lap(Phase.NORM, t);
        linear(ws.last, w.lmHead, ws.logits, k, v, h);
        lap(Phase.LM_HEAD, t);
        return k;
    }

    /** Per-phase timers of the forward pass (off until {@link #profile(boolean)} turns them on). */
    public StepProfile profile() { return profile; }

    public void profile(boolean on) { profile.enable(on); }

    /** y[n×out] = x[n×in] · Wᵀ, W [out×in]; the output columns are split across threads ({@link MatMul}). */
    private void linear(OffHeap x, WeightMatrix weight, OffHeap y, int n, int out, int in) { linear(x, weight, y, n, out, in, split.activations()); }

    /** @param splitX whether the bf16 kernel carries x as hi + lo parts ({@link Bf16Split}), else rounds it */
    private void linear(OffHeap x, WeightMatrix weight, OffHeap y, int n, int out, int in, boolean splitX) {
        // the kernel trusts its sizes: a fused matrix built with other dimensions would read past a buffer
        if (weight.rows() != out || weight.cols() != in) {
            throw new IllegalStateException("weight matrix " + weight.rows() + " × " + weight.cols() + " used as " + out + " × " + in);
        }
        matmul.apply(x, weight, y, n, splitX);
    }

    /**
     * Each row's new keys and values into its segment slot, on the calling thread: spread over the threads (each row
     * writes only its own slot's bytes, so it would be safe) it was slower in every profiled pair on the shared 2-core
     * machine (1.6–2.7 ms against 1.3–1.7 ms a step), the join costing more than the sub-millisecond work it splits.
     */
    private void writeKv(ForwardBatch b, int layer, int n, int qkvDim, int q, int kv) {
        for (int r = 0; r < n; r++) {
            ((CpuKvSegment) b.writeSegments()[r]).writeAllHeads(layer, b.writeSlots()[r], ws.qkv, r * qkvDim + q, r * qkvDim + q + kv);
        }
    }

    /**
     * The host's picks ({@link NextTokens#onHost}'s rule) made from the off-heap logits by {@link LogitPicks}, the rows
     * spread over this backend's threads, without a rows × vocab copy to the heap.
     */
    @Override
    public synchronized NextTokens forwardSample(ForwardBatch batch, AttentionMode mode, RowSampling[] sampling) {
        if (sampling.length != batch.logitRows().length) {
            throw new IllegalArgumentException(sampling.length + " sampling rows for " + batch.logitRows().length + " logit rows");
        }
        long start = layers(batch, mode);
        int k = lmHead(batch.logitRows());
        long t = profile.start();
        NextTokens next = LogitPicks.pick(ws.logits, k, c.vocabSize(), sampling, parallel);
        lap(Phase.PICK, t);
        profile.forwardDone(start);
        return next;
    }

    /** SGEMM rate of this backend's threads on a square product, for benchmark reports. */
    public double measureGflops(int size) {
        try (OffHeap a = new OffHeap((long) size * size); OffHeap b = new OffHeap((long) size * size); OffHeap y = new OffHeap((long) size * size)) {
            for (int i = 0; i < size * size; i++) { a.set(i, (i % 7) * 0.01f); b.set(i, (i % 5) * 0.01f); }
            matmul.sgemm(a, b, y, size, size, size);
            int reps = 3;
            long t = System.nanoTime();
            for (int r = 0; r < reps; r++) matmul.sgemm(a, b, y, size, size, size);
            return 2.0 * size * size * size * reps / ((System.nanoTime() - t) / 1e9) / 1e9;
        }
    }

    /** The same product's rate through the bf16 path (rounded activations, packed bf16 weights), for benchmark reports. */
    public double measureBf16Gflops(int size) {
        try (OffHeap a = new OffHeap((long) size * size); OffHeap y = new OffHeap((long) size * size); Bf16Matrix b = new Bf16Matrix(size, size)) {
            for (int i = 0; i < size * size; i++) a.set(i, (i % 7) * 0.01f);
            for (int j = 0; j < size; j++) for (int k = 0; k < size; k++) b.set(j, k, io.hydragen.model.Half.floatToBf16(((j * size + k) % 5) * 0.01f));
            matmul.apply(a, b, y, size);
            int reps = 3;
            long t = System.nanoTime();
            for (int r = 0; r < reps; r++) matmul.apply(a, b, y, size);
            return 2.0 * size * size * size * reps / ((System.nanoTime() - t) / 1e9) / 1e9;
        }
    }

    @Override
    public void close() {
        parallel.close();
        matmul.close();
        w.close();
        ws.close();
    }
}
