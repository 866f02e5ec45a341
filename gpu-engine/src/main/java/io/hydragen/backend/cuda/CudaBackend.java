package io.hydragen.backend.cuda;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.backend.NextTokens;
import io.hydragen.model.Model;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.Rope;
import io.hydragen.sampling.RowSampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Llama forward pass on one NVIDIA GPU, mirroring the CPU backend step for step: embedding, then per layer
 * rmsnorm → fused q|k|v GEMM → rope (writing q, and k, v into the KV segments) → attention (Hydragen blocks:
 * tensor-core batched attention over shared segments, per-sequence decode attention over suffixes, exact LSE
 * merge) → o GEMM accumulated into the residual → rmsnorm → fused gate|up GEMM → SwiGLU → down GEMM accumulated
 * into the residual; then the final norm and the LM head for the rows whose logits are wanted.
 *
 * <p>Weights are bf16 on the device, activations of the residual stream fp32, all products accumulate in fp32.
 * Every kernel is the project's own (kernels/), loaded from PTX/cubin through the driver API. When a forward pass
 * has a shape seen before, its launches are captured once as a {@link CudaGraph} and replayed ({@link GraphCache});
 * rows are padded to a few bucket sizes ({@link GraphBuckets}) so that a batch changing size as rows finish and are
 * admitted (continuous batching) replays a few graphs rather than capturing one per size.
 * {@code -Dhydragen.cuda.graphs=false} turns capture off (the padding stays, so both paths compute the same), and
 * {@code -Dhydragen.cuda.debug=true} turns it off and synchronises after every launch, so a fault names its kernel.
 */
public final class CudaBackend implements Backend {
    /** Default for {@link #CudaBackend(Model, int)}: capture repeated pass shapes as CUDA graphs. */
    public static final boolean GRAPHS_BY_DEFAULT = !"false".equalsIgnoreCase(System.getProperty("hydragen.cuda.graphs"))
            && !Kernel.DEBUG;

    private final ModelConfig c;
    private final CudaDevice device;
    private final KernelLibrary lib;
    private final CudaWeights w;
    private final CudaWorkspace ws;
    private final AttentionShape shape;
    private final AttentionPlanner planner;
    private final DeviceBuffer invFreq;
    private final EmbeddingKernel embedding;
    private final RmsNormKernel rmsnorm;
    private final RopeKernel rope;
    private final ActivationKernel activation;
    private final GemmKernel gemm;
    private final AttentionRunner attention;
    private final DeviceSampler sampler;
    private final boolean graphs;
    private final Set<CudaKvSegment> segments = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Captured graphs kept at once: a few row buckets times the plan shapes a running batch goes through. */
    static final int GRAPH_CACHE_SIZE = 16;
    private final GraphBuckets buckets = new GraphBuckets(GraphBuckets.DEFAULT_MAX_CAPTURED);
    private final GraphCache<CudaGraph> graphCache = new GraphCache<>(GRAPH_CACHE_SIZE);
    private int graphGeneration = -1;
    private boolean graphsFailed;
    /** Where pad rows write their key and value (one slot, never read). */
    private CudaKvSegment padSink;
    private boolean closed;

    /**
     * Why the CUDA backend cannot run on device {@code ordinal} (no kernels packaged, no driver, no such device,
     * compute capability below 8.0), or null when it can. Never throws.
     */
    public static String unavailableReason(int ordinal) {
        String k = KernelCatalog.problem(KernelCatalog.fromClassPath());
        if (k != null) return k;
        DeviceInfo info = CudaDevice.probe(ordinal);
        if (!info.available()) return info.reason();
        if (info.ccMajor() < 8) return "compute capability " + info.ccMajor() + "." + info.ccMinor() + " below 8.0 (bf16 tensor cores)";
        return null;
    }

    /**
     * Why this model cannot run on CUDA device {@code ordinal} (see {@link #unavailableReason(int)}, plus head
     * dimensions without a kernel), or null: what {@code --backend auto} asks before choosing CUDA.
     */
    public static String unavailableReason(ModelConfig c, int ordinal) {
        String why = new AttentionShape(c.numHeads(), c.numKvHeads(), c.headDim()).unsupportedReason();
        return why != null ? why : unavailableReason(ordinal);
    }

    public CudaBackend(Model model, int deviceOrdinal) { this(model, deviceOrdinal, GRAPHS_BY_DEFAULT); }

    /**
     * @param deviceOrdinal the CUDA device (Spark passes the GPU it assigned the executor)
     * @param graphs capture passes whose shape repeats (decode steps) as CUDA graphs and replay them
     * @throws CudaException when there is no usable device or no kernels; {@link OutOfDeviceMemoryException} when the
     *                       weights do not fit
     */
    public CudaBackend(Model model, int deviceOrdinal, boolean graphs) {
        this.graphs = graphs && !Kernel.DEBUG;
        this.c = model.config();
        this.shape = new AttentionShape(c.numHeads(), c.numKvHeads(), c.headDim());
        String why = shape.unsupportedReason();
        if (why != null) throw new IllegalArgumentException("model " + model.source() + " cannot run on CUDA: " + why);
        this.device = CudaDevice.open(deviceOrdinal);
        KernelLibrary l = null;
        CudaWeights weights = null;
        CudaWorkspace workspace = null;
        DeviceBuffer inv = null;
        try {
            l = KernelLibrary.load(device);
            weights = new CudaWeights(device, c, model.weights());
            workspace = new CudaWorkspace(device);
            double[] f = Rope.inverseFrequencies(c);
            float[] ff = new float[f.length];
            for (int i = 0; i < f.length; i++) ff[i] = (float) f[i];
            inv = DeviceBuffer.allocate(device, 4L * ff.length, "rope inverse frequencies");
            inv.upload(ff);
        } catch (RuntimeException | Error e) {
            if (inv != null) inv.close();
            if (workspace != null) workspace.close();
            if (weights != null) weights.close();
            if (l != null) l.close();
            device.close();
            throw e;
        }
        this.lib = l;
        this.w = weights;
        this.ws = workspace;
        this.invFreq = inv;
        // Decode items laid out by capacity whether or not graphs are used, so both paths compute the very same thing.
        this.planner = new AttentionPlanner(shape, device.info().multiprocessors(), tileResidentPerSm(lib, shape), true);
        this.embedding = new EmbeddingKernel(lib);
        this.rmsnorm = new RmsNormKernel(lib);
        this.rope = new RopeKernel(lib);
        this.activation = new ActivationKernel(lib);
        this.gemm = new GemmKernel(lib);
        this.attention = new AttentionRunner(lib, shape);
        this.sampler = new DeviceSampler(device, lib, ws, c.vocabSize());
    }

    /** Tensor-core tile blocks resident per SM (the prefix kernel's occupancy), for the planner's key splits. */
    static int tileResidentPerSm(KernelSource lib, AttentionShape shape) {
        try {
            return lib.kernel("prefix_attention", "prefix_attention_d" + shape.headDim())
                    .residentBlocksPerSm(128, PrefixAttentionKernel.tileSharedBytes(shape));
        } catch (RuntimeException e) {
            return AttentionPlanner.DEFAULT_RESIDENT_PER_SM;
        }
    }

    @Override public String name() { return "cuda:" + device.info().ordinal(); }

    @Override public ModelConfig config() { return c; }

    public DeviceInfo deviceInfo() { return device.info(); }

    /** Device memory one token of KV cache takes (all layers, K and V, bf16): for sizing batches. */
    @Override
    public long kvBytesPerToken() { return CudaKvSegment.bytes(c.numLayers(), c.numKvHeads(), c.headDim(), 1); }

    /** Free device memory now, in bytes. */
    public synchronized long freeMemory() {
        device.makeCurrent();
        return device.memoryInfo()[0];
    }

    /** The device's free memory (the workspace is already allocated and grows little once warm). */
    @Override
    public long availableMemoryBytes() { return freeMemory(); }

    /** Which compiled image each kernel family was loaded from. */
    public Map<String, KernelImage> kernelImages() { return lib.images(); }

    @Override
    public synchronized KvSegment newSegment(int capacity) {
        ensureOpen();
        device.makeCurrent();
        CudaKvSegment s = CudaKvSegment.allocate(device, c.numLayers(), c.numKvHeads(), c.headDim(), capacity);
        segments.add(s);
        return new Tracked(s);
    }

    /** Hands the engine a segment that leaves the backend's list when the engine closes it. */
    @Override
    public synchronized void copyKv(KvSegment src, int srcFrom, KvSegment dst, int dstFrom, int n) {
        ensureOpen();
        device.makeCurrent();
        ((Tracked) dst).s.copyFrom(((Tracked) src).s, srcFrom, dstFrom, n, c.numLayers());
    }

    private final class Tracked implements KvSegment {
        final CudaKvSegment s;

        Tracked(CudaKvSegment s) { this.s = s; }

        @Override public int length() { return s.length(); }

        @Override public int capacity() { return s.capacity(); }

        @Override public void setLength(int n) { s.setLength(n); }

        @Override public void close() {
            synchronized (CudaBackend.this) {
                if (segments.remove(s) && !closed) {
                    device.makeCurrent();
                    s.close();
                }
            }
        }
    }

    @Override
    public synchronized float[][] forward(ForwardBatch batch, AttentionMode mode) {
        io.hydragen.backend.Cancellation.check(); // between passes: a pass is queued as a whole on the stream
        Pass p = run(batch, mode);
        int k = p.realLogitRows, v = c.vocabSize();
        if (k == 0) return new float[0][];
        float[] flat = new float[Math.multiplyExact(k, v)];
        p.logits.download(flat, 0);
        float[][] out = new float[k][];
        for (int i = 0; i < k; i++) {
            out[i] = new float[v];
            System.arraycopy(flat, i * v, out[i], 0, v);
        }
        return out;
    }

    /**
     * Like {@link #forward}, but picks the next token of every logit row on the GPU ({@link DeviceSampler}: argmax, or
     * temperature / top-k / top-p with a Philox draw per row, under the row's mask, with its raw log-probabilities when
     * asked; the same picks as the host's {@link io.hydragen.sampling.Sampler}), so only token ids (and the few
     * log-probabilities asked for) come back to the host; a row whose logits are not finite comes back as a
     * {@link NextTokens} code. Rows with null settings get their own logits back, the others are still sampled here.
     *
     * @param sampling one per entry of {@code batch.logitRows()}
     */
    @Override
    public synchronized NextTokens forwardSample(ForwardBatch batch, AttentionMode mode, RowSampling[] sampling) {
        if (sampling.length != batch.logitRows().length) {
            throw new IllegalArgumentException(sampling.length + " sampling rows for " + batch.logitRows().length + " logit rows");
        }
        io.hydragen.backend.Cancellation.check();
        Pass p = run(batch, mode);
        if (p.realLogitRows == 0) return new NextTokens(new int[0], new float[0][]);
        return sampler.sample(p.logits, p.realLogitRows, sampling);
    }

    /** Device buffers and plan of one pass, filled and uploaded before any launch. */
    private static final class Pass {
        /** Padded counts (what the kernels run over); {@code realLogitRows} leading logit rows are returned. */
        int rows, logitRows, realLogitRows;
        AttentionPlan plan;
        GemmPlan qkvPlan, oPlan, gateUpPlan, downPlan, headPlan;
        DeviceBuffer ids, positions, kvDst, x, hb, qkv, qb, attn, gateUp, ffn, gemmWs, lastIdx, lastHb, logits;
        AttentionRunner.Tables tables;
        AttentionMode mode;
    }

    private Pass run(ForwardBatch batch, AttentionMode mode) {
        ensureOpen();
        device.makeCurrent();
        Pass p = prepare(batch, mode);
        if (!graphs || graphsFailed || p.rows > buckets.maxCaptured()) {
            launches(p);
            return p;
        }
        if (ws.generation() != graphGeneration) {
            graphCache.invalidate();   // a reallocated workspace: the graphs hold freed addresses
            graphGeneration = ws.generation();
        }
        String key = graphKey(p.rows, p.logitRows, mode, p.plan == null ? "-" : p.plan.signature(), ws.generation());
        CudaGraph g = null;
        try {
            g = graphCache.lookup(key, () -> CudaGraph.capture(device, key, () -> launches(p)));
        } catch (CudaException e) {
            // Capture is an optimisation: a driver that refuses it leaves the eager path, which computes the same.
            graphsFailed = true;
            graphCache.invalidate();
            System.err.println("hydragen: CUDA graph capture failed, running kernels one by one: " + e.getMessage());
        }
        if (g != null) g.launch(); else launches(p);
        return p;
    }

    /** What a captured graph depends on: the padded counts, the mode, the attention grids, the workspace buffers. */
    static String graphKey(int paddedRows, int paddedLogitRows, AttentionMode mode, String planSignature, int workspaceGeneration) {
        return paddedRows + "|" + paddedLogitRows + "|" + mode + "|" + planSignature + "|" + workspaceGeneration;
    }

    private Pass prepare(ForwardBatch b, AttentionMode mode) {
        int real = b.rows(), h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize(), v = c.vocabSize();
        if (real == 0) throw new IllegalArgumentException("empty forward batch");
        int n = buckets.padded(real);
        int qkvDim = q + 2 * kv;
        Pass p = new Pass();
        p.rows = n;
        p.mode = mode;
        long[] dst = new long[RopeKernel.DST_FIELDS * n];
        if (n > real && padSink == null) padSink = CudaKvSegment.allocate(device, c.numLayers(), c.numKvHeads(), c.headDim(), 1);
        for (int r = real; r < n; r++) {
            dst[4 * r] = padSink.keyAddress(0);
            dst[4 * r + 1] = padSink.valueAddress(0);
            dst[4 * r + 2] = padSink.headStride();
            dst[4 * r + 3] = padSink.layerStride();
        }
        Map<KvSegment, SegmentRef> refs = new IdentityHashMap<>();
        for (int r = 0; r < real; r++) {
            int tok = b.tokens()[r];
            if (tok < 0 || tok >= v) throw new IllegalArgumentException("token id " + tok + " at row " + r + " outside the vocabulary of " + v);
            CudaKvSegment s = unwrap(b.writeSegments()[r]);
            int slot = b.writeSlots()[r];
            if (slot < 0 || slot >= s.capacity()) {
                throw new IllegalArgumentException("row " + r + " writes slot " + slot + " of a segment of capacity " + s.capacity());
            }
            dst[4 * r] = s.keyAddress(slot);
            dst[4 * r + 1] = s.valueAddress(slot);
            dst[4 * r + 2] = s.headStride();
            dst[4 * r + 3] = s.layerStride();
        }
        if (mode != AttentionMode.NONE) {
            List<AttentionPlanner.Block> blocks = new ArrayList<>(b.blocks().size());
            for (AttentionBlock ab : b.blocks()) {
                List<SegmentRef> segs = new ArrayList<>(ab.segments().size());
                for (KvSegment s : ab.segments()) segs.add(refs.computeIfAbsent(s, x -> unwrap(x).ref()));
                blocks.add(new AttentionPlanner.Block(segs, ab.rows(), ab.visibleInLast()));
            }
            p.plan = planner.plan(blocks, n);
        }
        p.qkvPlan = gemm.plan(n, qkvDim, h);
        p.oPlan = gemm.plan(n, h, q);
        p.gateUpPlan = gemm.plan(n, 2 * im, h);
        p.downPlan = gemm.plan(n, h, im);
        int realK = b.logitRows().length, k = realK == 0 ? 0 : buckets.padded(realK);
        p.logitRows = k;
        p.realLogitRows = realK;
        for (int r : b.logitRows()) if (r < 0 || r >= real) throw new IllegalArgumentException("logit row " + r + " outside the batch of " + real);
        p.headPlan = k == 0 ? null : gemm.plan(k, v, h);

        p.ids = ws.get("ids", 4L * n);
        p.positions = ws.get("positions", 4L * n);
        p.kvDst = ws.get("kvDst", 8L * dst.length);
        p.x = ws.get("x", 4L * n * h);
        p.hb = ws.get("hb", 2L * n * Math.max(h, q));
        p.qkv = ws.get("qkv", 4L * n * qkvDim);
        p.qb = ws.get("q", 2L * n * q);
        p.attn = ws.get("attn", 2L * n * q);
        p.gateUp = ws.get("gateUp", 4L * n * 2 * im);
        p.ffn = ws.get("ffn", 2L * n * im);
        long gemmWs = Math.max(Math.max(p.qkvPlan.workspaceFloats(), p.oPlan.workspaceFloats()),
                Math.max(p.gateUpPlan.workspaceFloats(), p.downPlan.workspaceFloats()));
        if (p.headPlan != null) gemmWs = Math.max(gemmWs, p.headPlan.workspaceFloats());
        p.gemmWs = gemmWs > 0 ? ws.get("gemmWs", 4L * gemmWs) : null;
        if (p.plan != null) {
            long[] tb = AttentionRunner.tableBytes(p.plan, shape);
            p.tables = new AttentionRunner.Tables(ws.get("rowList", tb[0]), ws.get("limits", tb[1]), ws.get("rowSlot", tb[2]),
                    ws.get("prefixTiles", tb[3]), ws.get("maskedTiles", tb[4]), ws.get("decodeItems", tb[5]), ws.get("oPart", tb[6]),
                    ws.get("lsePart", tb[7]));
        }
        if (k > 0) {
            p.lastIdx = ws.get("lastIdx", 4L * k);
            p.lastHb = ws.get("lastHb", 2L * k * h);
            p.logits = ws.get("logits", 4L * k * v);
        }

        // Everything a replayed graph reads that changes from pass to pass is uploaded here, outside any capture.
        // Pad rows read token 0 at position 0 and are in no attention block; pad logit rows repeat row 0's index.
        p.ids.upload(Arrays.copyOf(b.tokens(), n));
        p.positions.upload(Arrays.copyOf(b.positions(), n));
        p.kvDst.upload(dst);
        if (p.plan != null) p.tables.upload(p.plan);
        if (k > 0) p.lastIdx.upload(Arrays.copyOf(b.logitRows(), k));
        return p;
    }

    /** The kernels of one pass, in stream order; captured as a graph when the shape repeats. */
    private void launches(Pass p) {
        int n = p.rows, h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize(), v = c.vocabSize();
        int qkvDim = q + 2 * kv;
        float eps = (float) c.rmsNormEps();
        embedding.launch(p.ids, w.embed, p.x, n, h, v);
        for (int l = 0; l < c.numLayers(); l++) {
            CudaWeights.Layer L = w.layers[l];
            rmsnorm.launch(p.x, null, L.attnNorm, p.hb, n, h, eps);
            gemm.launch(p.qkvPlan, p.hb, L.qkv, 0, p.qkv, qkvDim, L.qkvBias, false, p.gemmWs);
            rope.launch(p.qkv, qkvDim, p.positions, invFreq, p.qb, p.kvDst, n, c.numHeads(), c.numKvHeads(), c.headDim(), l);
            if (p.plan == null) {
                p.attn.zero();
            } else {
                attention.run(p.plan, p.tables, p.qb, l, p.attn, null);
            }
            gemm.launch(p.oPlan, p.attn, L.o, 0, p.x, h, L.oBias, true, p.gemmWs);
            rmsnorm.launch(p.x, null, L.mlpNorm, p.hb, n, h, eps);
            gemm.launch(p.gateUpPlan, p.hb, L.gateUp, 0, p.gateUp, 2 * im, null, false, p.gemmWs);
            activation.swiglu(p.gateUp, p.ffn, n, im);
            gemm.launch(p.downPlan, p.ffn, L.down, 0, p.x, h, null, true, p.gemmWs);
        }
        if (p.logitRows > 0) {
            rmsnorm.launch(p.x, p.lastIdx, w.finalNorm, p.lastHb, p.logitRows, h, eps);
            gemm.launch(p.headPlan, p.lastHb, w.lmHead, 0, p.logits, v, null, false, p.gemmWs);
        }
    }

    private static CudaKvSegment unwrap(KvSegment s) {
        if (s instanceof Tracked t) return t.s;
        throw new IllegalArgumentException("KV segment " + s + " does not belong to the CUDA backend");
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("CUDA backend closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        device.makeCurrent();
        try {
            device.synchronize();
        } catch (CudaException ignored) {
            // a faulted context still frees its memory below
        }
        graphCache.close();
        if (padSink != null) padSink.close();
        sampler.close();
        for (CudaKvSegment s : segments) s.close();
        segments.clear();
        invFreq.close();
        ws.close();
        w.close();
        lib.close();
        closed = true;
        device.close();
    }
}
