package io.hydragen.backend.cpu;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.model.Model;
import io.hydragen.model.ModelConfig;

/**
 * The Llama forward pass on the CPU, top to bottom: embedding, then per layer rmsnorm → q/k/v → rope →
 * attention (Hydragen blocks) → o → residual → rmsnorm → SwiGLU MLP → residual, then the final norm and the LM
 * head for the rows whose logits are wanted. Matrix products go to OpenBLAS, split across threads by output column.
 */
public final class CpuBackend implements Backend {
    private final ModelConfig c;
    private final CpuWeights w;
    private final CpuAttention attention;
    private final RopeTable rope;
    private final Parallel parallel;
    private final Workspace ws = new Workspace();
    private final Ops ops;

    /**
     * @throws io.hydragen.model.ModelException when a weight matrix is too large for one off-heap buffer or the weights
     *                                          cannot fit JavaCPP's memory limit (checked before allocating)
     * @throws io.hydragen.backend.AllocationException when the weights do not fit in memory
     */
    public CpuBackend(Model model, int threads) {
        this.c = model.config();
        this.w = new CpuWeights(c, model.weights());
        this.attention = new CpuAttention(c.numHeads(), c.numKvHeads(), c.headDim());
        this.rope = new RopeTable(c);
        this.parallel = new Parallel(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        this.ops = new Ops(parallel);
    }

    @Override public String name() { return "cpu"; }

    @Override public ModelConfig config() { return c; }

    public int threads() { return parallel.threads(); }

    @Override
    public KvSegment newSegment(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("KV segment capacity must be >= 0, got " + capacity);
        return new CpuKvSegment(c.numLayers(), c.numKvHeads(), c.headDim(), capacity);
    }

    /** float32 keys and values of every layer: layers × kvHeads × headDim × 2 × 4 bytes. */
    @Override
    public long kvBytesPerToken() { return kvBytesPerToken(c); }

    static long kvBytesPerToken(ModelConfig c) { return (long) c.numLayers() * c.numKvHeads() * c.headDim() * 2 * Float.BYTES; }

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
        CpuKvSegment s = (CpuKvSegment) src, d = (CpuKvSegment) dst;
        int hd = c.headDim();
        for (int l = 0; l < c.numLayers(); l++) {
            for (int h = 0; h < c.numKvHeads(); h++) {
                d.keys[l].floats.put((int) d.offset(h, dstFrom), s.keys[l].floats, (int) s.offset(h, srcFrom), n * hd);
                d.values[l].floats.put((int) d.offset(h, dstFrom), s.values[l].floats, (int) s.offset(h, srcFrom), n * hd);
            }
        }
    }

    @Override
    public synchronized float[][] forward(ForwardBatch batch, AttentionMode mode) {
        int n = batch.rows(), h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize();
        int qkvDim = q + 2 * kv;
        ws.ensure(n, c);

        ops.embed(w.embed, batch.tokens(), ws.x, h);
        for (int l = 0; l < c.numLayers(); l++) {
            io.hydragen.backend.Cancellation.check();
            CpuWeights.Layer L = w.layers[l];
            // attention
            ops.rmsnorm(ws.x, ws.h, L.attnNorm, n, h, (float) c.rmsNormEps());
            linear(ws.h, L.qkv, ws.qkv, n, qkvDim, h);
            if (L.qkvBias != null) ops.addBias(ws.qkv, L.qkvBias, n, qkvDim);
            rope.prepare(batch.positions());
            ops.parallelRows(n, (r0, r1) -> {
                rope.apply(ws.qkv, batch.positions(), r0, r1, qkvDim, 0, c.numHeads());
                rope.apply(ws.qkv, batch.positions(), r0, r1, qkvDim, q, c.numKvHeads());
                return 0;
            });
            ops.splitQ(ws.qkv, ws.q, n, qkvDim, q);
            writeKv(batch, l, n, qkvDim, q, kv);
            if (mode == AttentionMode.NONE) ws.att.floats.put(0, new float[n * q]);
            else attention.forward(l, ws.q, n, batch.blocks(), ws.att, parallel);
            linear(ws.att, L.o, ws.h, n, h, q);
            if (L.oBias != null) ops.addBias(ws.h, L.oBias, n, h);
            ops.residual(ws.x, ws.h, n, h);
            // MLP
            ops.rmsnorm(ws.x, ws.h, L.mlpNorm, n, h, (float) c.rmsNormEps());
            linear(ws.h, L.gateUp, ws.gateUp, n, 2 * im, h);
            ops.swiglu(ws.gateUp, ws.ffn, n, im);
            linear(ws.ffn, L.down, ws.h, n, h, im);
            ops.residual(ws.x, ws.h, n, h);
        }
        return logits(batch.logitRows(), h);
    }

    private float[][] logits(int[] rows, int h) {
        int k = rows.length, v = c.vocabSize();
        if (k == 0) return new float[0][];
        ws.ensureLogits(k, v, h);
        for (int i = 0; i < k; i++) ws.last.floats.put(i * h, ws.x.floats, rows[i] * h, h);
        ops.rmsnorm(ws.last, ws.last, w.finalNorm, k, h, (float) c.rmsNormEps());
        linear(ws.last, w.lmHead, ws.logits, k, v, h);
        float[][] out = new float[k][v];
        for (int i = 0; i < k; i++) ws.logits.floats.get(i * v, out[i], 0, v);
        return out;
    }

    /** y[n×out] = x[n×in] · Wᵀ, W [out×in]; the output columns are split across threads. */
    private void linear(OffHeap x, OffHeap weight, OffHeap y, int n, int out, int in) {
        int chunks = Math.min(out / 64 + 1, parallel.threads() * 4);
        int step = (out + chunks - 1) / chunks;
        parallel.forEach(chunks, i -> {
            int o0 = i * step, o1 = Math.min(out, o0 + step);
            if (o1 > o0) Blas.gemmNT(n, o1 - o0, in, 1f, x, 0, in, weight, (long) o0 * in, in, 0f, y, o0, out);
        });
    }

    private void writeKv(ForwardBatch b, int layer, int n, int qkvDim, int q, int kv) {
        int d = c.headDim();
        for (int r = 0; r < n; r++) {
            CpuKvSegment s = (CpuKvSegment) b.writeSegments()[r];
            int slot = b.writeSlots()[r];
            for (int hd = 0; hd < c.numKvHeads(); hd++) {
                long at = s.offset(hd, slot);
                s.keys[layer].floats.put((int) at, ws.qkv.floats, r * qkvDim + q + hd * d, d);
                s.values[layer].floats.put((int) at, ws.qkv.floats, r * qkvDim + q + kv + hd * d, d);
            }
        }
    }

    /** SGEMM rate of this backend's threads on a square product, for benchmark reports. */
    public double measureGflops(int size) {
        try (OffHeap a = new OffHeap((long) size * size); OffHeap b = new OffHeap((long) size * size); OffHeap y = new OffHeap((long) size * size)) {
            for (int i = 0; i < size * size; i++) { a.set(i, (i % 7) * 0.01f); b.set(i, (i % 5) * 0.01f); }
            linear(a, b, y, size, size, size);
            int reps = 3;
            long t = System.nanoTime();
            for (int r = 0; r < reps; r++) linear(a, b, y, size, size, size);
            return 2.0 * size * size * size * reps / ((System.nanoTime() - t) / 1e9) / 1e9;
        }
    }

    @Override
    public void close() {
        parallel.close();
        w.close();
        ws.close();
    }
}
