package io.hydragen.backend.cpu;

import io.hydragen.model.ModelConfig;
import io.hydragen.model.Tensor;
import io.hydragen.model.WeightSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A model's weights off the heap, the matrices in the chosen {@link CpuDtype} (fp32, or packed bf16: a bf16 checkpoint
 * is copied as it is, never widened), with q/k/v and gate/up fused so each is one matrix product. Matrices keep
 * Hugging Face's [out, in] layout; the forward pass multiplies by their transpose. Norms and biases stay fp32.
 */
final class CpuWeights implements AutoCloseable {

    static final class Layer {
        float[] attnNorm, mlpNorm;
        WeightMatrix qkv;       // [(q + 2·kv) × hidden]
        float[] qkvBias;        // null unless the model has q/k/v biases (Qwen2)
        WeightMatrix o;         // [hidden × q]
        float[] oBias;          // Llama checkpoints with attention_bias=true bias o_proj too
        WeightMatrix gateUp;    // [2·intermediate × hidden]
        WeightMatrix down;      // [hidden × intermediate]
    }

    final CpuDtype dtype;
    final WeightMatrix embed;   // [vocab × hidden]
    final WeightMatrix lmHead;  // [vocab × hidden], the embedding itself when tied
    final float[] finalNorm;
    final Layer[] layers;

    private final java.util.List<WeightMatrix> owned = new java.util.ArrayList<>();

    CpuWeights(ModelConfig c, WeightSource w) { this(c, w, CpuDtype.FP32); }

    CpuWeights(ModelConfig c, WeightSource w, CpuDtype dtype) {
        this.dtype = dtype;
        checkFits(c, dtype);
        try {
            int h = c.hiddenSize(), v = c.vocabSize();
            embed = load(w, "model.embed_tokens.weight", v, h);
            lmHead = c.tieWordEmbeddings() ? embed : load(w, "lm_head.weight", v, h);
            finalNorm = w.tensor("model.norm.weight", h).toFloats();
            layers = new Layer[c.numLayers()];
            for (int i = 0; i < layers.length; i++) layers[i] = layer(c, w, i);
        } catch (RuntimeException | Error e) {
            for (WeightMatrix b : owned) b.close();
            throw e;
        }
    }

    /**
     * Refuses, before allocating anything, weights the CPU backend cannot hold: a fused matrix beyond one off-heap
     * buffer (2^31-1 floats), or float32 weights beyond JavaCPP's memory limit or the machine's physical memory.
     */
    static void checkFits(ModelConfig c) { checkFits(c, CpuDtype.FP32); }

    static void checkFits(ModelConfig c, CpuDtype dtype) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize(), v = c.vocabSize();
        long[][] matrices = {{v * h}, {(q + 2 * kv) * h}, {h * q}, {2 * im * h}, {h * im}};
        String[] names = {"embed_tokens (vocab_size × hidden_size)", "q|k|v ((q + 2·kv) × hidden_size)", "o_proj (hidden_size × q)",
                "gate|up (2·intermediate_size × hidden_size)", "down_proj (hidden_size × intermediate_size)"};
        for (int i = 0; i < matrices.length; i++) {
            if (matrices[i][0] > OffHeap.MAX_FLOATS) {
                throw new io.hydragen.model.ModelException("the CPU backend cannot hold the " + names[i] + " matrix of " + matrices[i][0]
                        + " floats: at most " + OffHeap.MAX_FLOATS + " floats per matrix");
            }
        }
        long perLayer = (q + 2 * kv) * h + h * q + 2 * im * h + h * im;
        long floats = perLayer * c.numLayers() + v * h * (c.tieWordEmbeddings() ? 1 : 2);
        long bytes = (long) dtype.bytes() * floats;
        long max = org.bytedeco.javacpp.Pointer.maxBytes();
        if (max > 0 && org.bytedeco.javacpp.Pointer.totalBytes() + bytes > max) {
            throw new io.hydragen.backend.AllocationException("the model's weights need " + io.hydragen.backend.AllocationException.formatBytes(bytes)
                    + " as " + dtype.longName() + " off the Java heap, beyond JavaCPP's limit of " + io.hydragen.backend.AllocationException.formatBytes(max)
                    + " (-Dorg.bytedeco.javacpp.maxBytes)", bytes, null);
        }
        long physical = physicalBytes();
        if (physical > 0 && bytes > physical) {
            throw new io.hydragen.backend.AllocationException("the model's weights need " + io.hydragen.backend.AllocationException.formatBytes(bytes)
                    + " as " + dtype.longName() + ", more than this machine's " + io.hydragen.backend.AllocationException.formatBytes(physical) + " of memory", bytes, null);
        }
    }

    private static long physicalBytes() {
        try {
            return org.bytedeco.javacpp.Pointer.totalPhysicalBytes();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return 0;
        }
    }

    private Layer layer(ModelConfig c, WeightSource w, int i) {
        int h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize();
        String p = "model.layers." + i + ".";
        {
            Layer l = new Layer();
            l.attnNorm = w.tensor(p + "input_layernorm.weight", h).toFloats();
            l.mlpNorm = w.tensor(p + "post_attention_layernorm.weight", h).toFloats();
            l.qkv = alloc(q + 2 * kv, h);
            put(w.tensor(p + "self_attn.q_proj.weight", q, h), l.qkv, 0);
            put(w.tensor(p + "self_attn.k_proj.weight", kv, h), l.qkv, q);
            put(w.tensor(p + "self_attn.v_proj.weight", kv, h), l.qkv, q + kv);
            if (c.attentionBias()) {
                l.qkvBias = new float[q + 2 * kv];
                System.arraycopy(w.tensor(p + "self_attn.q_proj.bias", q).toFloats(), 0, l.qkvBias, 0, q);
                System.arraycopy(w.tensor(p + "self_attn.k_proj.bias", kv).toFloats(), 0, l.qkvBias, q, kv);
                System.arraycopy(w.tensor(p + "self_attn.v_proj.bias", kv).toFloats(), 0, l.qkvBias, q + kv, kv);
            }
            l.o = load(w, p + "self_attn.o_proj.weight", h, q);
            if (io.hydragen.model.LlamaTensors.hasOutputBias(c)) l.oBias = w.tensor(p + "self_attn.o_proj.bias", h).toFloats();
            l.gateUp = alloc(2 * im, h);
            put(w.tensor(p + "mlp.gate_proj.weight", im, h), l.gateUp, 0);
            put(w.tensor(p + "mlp.up_proj.weight", im, h), l.gateUp, im);
            l.down = load(w, p + "mlp.down_proj.weight", h, im);
            return l;
        }
    }

    private WeightMatrix alloc(int rows, int cols) {
        WeightMatrix m = dtype == CpuDtype.BF16 ? new Bf16Matrix(rows, cols) : new Fp32Matrix(new OffHeap((long) rows * cols), rows, cols);
        owned.add(m);
        return m;
    }

    private WeightMatrix load(WeightSource w, String name, int rows, int cols) {
        WeightMatrix m = alloc(rows, cols);
        put(w.tensor(name, rows, cols), m, 0);
        return m;
    }

    /** Bytes of the weight matrices (each counted once: a tied LM head is the embedding). */
    long bytes() {
        long n = 0;
        for (WeightMatrix m : owned) n += m.bytes();
        return n;
    }

    /** Writes tensor t at rows from rowOffset of m. */
    private static void put(Tensor t, WeightMatrix m, int rowOffset) {
        if (m instanceof Bf16Matrix b) b.put(t, rowOffset);
        else copyInto(t, ((Fp32Matrix) m).data(), (long) rowOffset * m.cols());
    }

    /** Widens a tensor into {@code dst} at {@code off} without a heap copy of the whole tensor. */
    static void copyInto(Tensor t, OffHeap dst, long off) {
        ByteBuffer src = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) t.numel();
        int base = (int) off;
        switch (t.dtype()) {
            case F32 -> dst.floats.put(base, src.asFloatBuffer(), 0, n);
            case F16 -> { for (int i = 0; i < n; i++) dst.floats.put(base + i, io.hydragen.model.Half.f16ToFloat(src.getShort(2 * i))); }
            case BF16 -> { for (int i = 0; i < n; i++) dst.floats.put(base + i, io.hydragen.model.Half.bf16ToFloat(src.getShort(2 * i))); }
        }
    }

    @Override
    public void close() {
        for (WeightMatrix b : owned) b.close();
        owned.clear();
    }
}
