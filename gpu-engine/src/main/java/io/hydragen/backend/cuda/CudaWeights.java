package io.hydragen.backend.cuda;

import io.hydragen.model.DType;
import io.hydragen.model.Half;
import io.hydragen.model.LlamaTensors;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.Tensor;
import io.hydragen.model.WeightSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's weights on the GPU: matrices in bf16 in Hugging Face's [out, in] layout (BF16 checkpoints are copied as
 * they are; F16 and F32 are rounded to bf16 on the way), q|k|v and gate|up fused so each is one GEMM, norm weights
 * and biases in fp32. Every buffer is freed by {@link #close()}.
 */
final class CudaWeights implements AutoCloseable {

    static final class Layer {
        DeviceBuffer attnNorm, mlpNorm;  // [hidden] fp32
        DeviceBuffer qkv;                // [(q + 2·kv), hidden] bf16
        DeviceBuffer qkvBias;            // [(q + 2·kv)] fp32, or null
        DeviceBuffer o;                  // [hidden, q] bf16
        DeviceBuffer oBias;              // [hidden] fp32, or null
        DeviceBuffer gateUp;             // [2·inter, hidden] bf16
        DeviceBuffer down;               // [hidden, inter] bf16
    }

    final DeviceBuffer embed;      // [vocab, hidden] bf16
    final DeviceBuffer lmHead;     // [vocab, hidden] bf16; the embedding itself when tied
    final DeviceBuffer finalNorm;  // [hidden] fp32
    final Layer[] layers;
    private final List<DeviceBuffer> owned = new ArrayList<>();

    /** Elements converted per host chunk, bounding the heap a F16/F32 upload uses. */
    private static final int CHUNK = 1 << 20;

    CudaWeights(CudaDevice device, ModelConfig c, WeightSource w) {
        int h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize(), v = c.vocabSize();
        checkFits(device, c);
        try {
            embed = matrix(device, w, LlamaTensors.EMBED_TOKENS, v, h);
            lmHead = c.tieWordEmbeddings() ? embed : matrix(device, w, LlamaTensors.LM_HEAD, v, h);
            finalNorm = vector(device, w, LlamaTensors.FINAL_NORM, h);
            layers = new Layer[c.numLayers()];
            for (int i = 0; i < layers.length; i++) {
                Layer l = new Layer();
                l.attnNorm = vector(device, w, LlamaTensors.inputNorm(i), h);
                l.mlpNorm = vector(device, w, LlamaTensors.postAttentionNorm(i), h);
                l.qkv = alloc(device, 2L * (q + 2L * kv) * h, "layer " + i + " q|k|v weights");
                put(l.qkv, 0, w.tensor(LlamaTensors.attnWeight(i, "q"), q, h));
                put(l.qkv, 2L * q * h, w.tensor(LlamaTensors.attnWeight(i, "k"), kv, h));
                put(l.qkv, 2L * (q + kv) * h, w.tensor(LlamaTensors.attnWeight(i, "v"), kv, h));
                if (c.attentionBias()) {
                    float[] b = new float[q + 2 * kv];
                    System.arraycopy(w.tensor(LlamaTensors.attnBias(i, "q"), q).toFloats(), 0, b, 0, q);
                    System.arraycopy(w.tensor(LlamaTensors.attnBias(i, "k"), kv).toFloats(), 0, b, q, kv);
                    System.arraycopy(w.tensor(LlamaTensors.attnBias(i, "v"), kv).toFloats(), 0, b, q + kv, kv);
                    l.qkvBias = floats(device, b, "layer " + i + " q|k|v bias");
                    if (LlamaTensors.hasOutputBias(c)) l.oBias = vector(device, w, LlamaTensors.attnBias(i, "o"), h);
                }
                l.o = matrix(device, w, LlamaTensors.attnWeight(i, "o"), h, q);
                l.gateUp = alloc(device, 2L * 2 * im * h, "layer " + i + " gate|up weights");
                put(l.gateUp, 0, w.tensor(LlamaTensors.mlpWeight(i, "gate"), im, h));
                put(l.gateUp, 2L * im * h, w.tensor(LlamaTensors.mlpWeight(i, "up"), im, h));
                l.down = matrix(device, w, LlamaTensors.mlpWeight(i, "down"), h, im);
                layers[i] = l;
            }
            device.synchronize();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Bytes of device memory the weights take. */
    static long bytes(ModelConfig c) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize(), v = c.vocabSize();
        long perLayer = 2 * ((q + 2 * kv) * h + h * q + 2 * im * h + h * im) + 4 * (2 * h + q + 2 * kv + h);
        return 2 * v * h * (c.tieWordEmbeddings() ? 1 : 2) + 4 * h + c.numLayers() * perLayer;
    }

    private static void checkFits(CudaDevice device, ModelConfig c) {
        long need = bytes(c);
        long[] mem = device.memoryInfo();
        if (need > mem[0]) {
            throw new OutOfDeviceMemoryException("the weights of a " + c.numLayers() + "-layer model (bf16)", need, mem[0], mem[1]);
        }
    }

    private DeviceBuffer alloc(CudaDevice device, long bytes, String what) {
        DeviceBuffer b = DeviceBuffer.allocate(device, bytes, what);
        owned.add(b);
        return b;
    }

    private DeviceBuffer matrix(CudaDevice device, WeightSource w, String name, int rows, int cols) {
        DeviceBuffer b = alloc(device, 2L * rows * cols, name);
        put(b, 0, w.tensor(name, rows, cols));
        return b;
    }

    private DeviceBuffer vector(CudaDevice device, WeightSource w, String name, int n) {
        return floats(device, w.tensor(name, n).toFloats(), name);
    }

    private DeviceBuffer floats(CudaDevice device, float[] values, String what) {
        DeviceBuffer b = alloc(device, 4L * values.length, what);
        b.upload(values);
        return b;
    }

    /** Copies a tensor as bf16 to {@code byteOffset} of {@code dst}. */
    static void put(DeviceBuffer dst, long byteOffset, Tensor t) {
        long n = t.numel();
        if (t.dtype() == DType.BF16 && t.data().isDirect()) {
            dst.upload(t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN), byteOffset);
            return;
        }
        short[] buf = new short[(int) Math.min(n, CHUNK)];
        for (long at = 0; at < n; at += buf.length) {
            int m = (int) Math.min(buf.length, n - at);
            short[] chunk = m == buf.length ? buf : new short[m];
            toBf16(t, at, chunk);
            // asynchronous only past a staging copy the driver makes before returning, so the chunk can be reused
            dst.upload(chunk, byteOffset + 2 * at);
        }
    }

    /** Elements [from, from + dst.length) of a tensor as bf16 bits, rounded to nearest even from F16 or F32. */
    static void toBf16(Tensor t, long from, short[] dst) {
        ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < dst.length; i++) {
            int e = (int) (from + i);
            dst[i] = switch (t.dtype()) {
                case BF16 -> b.getShort(2 * e);
                case F16 -> Half.floatToBf16(Half.f16ToFloat(b.getShort(2 * e)));
                case F32 -> Half.floatToBf16(b.getFloat(4 * e));
            };
        }
    }

    @Override
    public void close() {
        for (DeviceBuffer b : owned) b.close();
        owned.clear();
    }
}
