package io.hydragen.backend.cuda;

import io.hydragen.model.DType;
import io.hydragen.model.Half;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.RopeScaling;
import io.hydragen.model.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Host side of the weight upload: dtype conversion to bf16 and the device-memory estimate checked before it. */
class CudaWeightsTest {

    @Test
    void f16AndF32AreRoundedToBf16() {
        Random r = new Random(4);
        int n = 1000;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(6) - 3));
        ByteBuffer f32 = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer f16 = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) { f32.putFloat(x); f16.putShort(Half.floatToF16(x)); }
        short[] a = new short[300], b = new short[300];
        CudaWeights.toBf16(new Tensor("w", DType.F32, new int[] {n}, f32.flip()), 500, a);
        CudaWeights.toBf16(new Tensor("w", DType.F16, new int[] {n}, f16.flip()), 500, b);
        for (int i = 0; i < 300; i++) {
            assertEquals(Half.floatToBf16(v[500 + i]), a[i], "f32 element " + (500 + i));
            assertEquals(Half.floatToBf16(Half.f16ToFloat(Half.floatToF16(v[500 + i]))), b[i], "f16 element " + (500 + i));
            float back = Half.bf16ToFloat(a[i]);
            assertTrue(Math.abs(back - v[500 + i]) <= Math.abs(v[500 + i]) * 0x1p-8, "within half a bf16 ulp");
        }
    }

    @Test
    void llama8bNeedsAbout16GB() {
        ModelConfig c = new ModelConfig("llama", 128256, 4096, 14336, 32, 32, 8, 128, 131072, 1e-5, 500000.0, RopeScaling.NONE, false,
                false, DType.BF16);
        double params = 2.0 * 128256 * 4096 + 32 * (4096.0 * (4096 + 2 * 1024) + 4096.0 * 4096 + 3.0 * 14336 * 4096);
        long bytes = CudaWeights.bytes(c);
        assertTrue(Math.abs(bytes - 2 * params) < 0.01 * 2 * params, bytes + " bytes for " + params + " parameters");
        assertEquals(2L * 32 * 2 * 8 * 128, new AttentionShapeProbe(c).kvBytesPerToken(), "128 KiB of KV per token");
    }

    /** kvBytesPerToken without a device: the same formula CudaBackend uses. */
    private record AttentionShapeProbe(ModelConfig c) {
        long kvBytesPerToken() { return CudaKvSegment.bytes(c.numLayers(), c.numKvHeads(), c.headDim(), 1); }
    }
}
