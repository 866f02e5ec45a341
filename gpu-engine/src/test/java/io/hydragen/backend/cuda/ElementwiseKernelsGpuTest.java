package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.ElementwiseReference;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.Rope;
import io.hydragen.model.RopeScaling;
import io.hydragen.model.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** embedding, rmsnorm, rope and activation kernels against their CPU references on random inputs (GPU only). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ElementwiseKernelsGpuTest {
    private Gpu gpu;
    private final Random rnd = new Random(2024);

    @BeforeAll
    void open() { gpu = Gpu.openOrNull(); }

    @BeforeEach
    void needGpu() { Gpu.require(); }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    @Test
    void embeddingGathersRows() {
        int vocab = 1000, hidden = 96;
        float[] table = Bf16.random(rnd, vocab * hidden, 1f);
        int[] ids = {0, 999, 17, 17, -1, 1000, 512};
        try (DeviceBuffer t = gpu.bf16(table, "table"); DeviceBuffer i = gpu.ints(ids, "ids");
             DeviceBuffer out = gpu.poisoned((long) ids.length * hidden, "out")) {
            new EmbeddingKernel(gpu.lib).launch(i, t, out, ids.length, hidden, vocab);
            assertArrayEquals(ElementwiseReference.embedding(ids, table, hidden, vocab), gpu.readFloats(out, ids.length * hidden));
        }
    }

    @Test
    void rmsnormMatchesReference() {
        for (int hidden : new int[] {64, 96, 4096, 5120}) {
            int rows = 37;
            float[] x = new float[rows * hidden];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 3);
            float[] w = new float[hidden];
            for (int i = 0; i < hidden; i++) w[i] = 0.5f + rnd.nextFloat();
            int[] idx = {36, 0, 5, 5, 20};
            for (int[] rowIdx : new int[][] {null, idx}) {
                int n = rowIdx == null ? rows : rowIdx.length;
                try (DeviceBuffer dx = gpu.floats(x, "x"); DeviceBuffer dw = gpu.floats(w, "w");
                     DeviceBuffer di = rowIdx == null ? null : gpu.ints(rowIdx, "rowIdx");
                     DeviceBuffer out = gpu.buffer(2L * n * hidden, "out")) {
                    out.fill32(0x7fc07fc0, 0, (long) n * hidden / 2);  // bf16 NaN pairs
                    new RmsNormKernel(gpu.lib).launch(dx, di, dw, out, n, hidden, 1e-5f);
                    float[] got = gpu.readBf16(out, n * hidden);
                    float[] want = ElementwiseReference.rmsnorm(x, rowIdx, w, n, hidden, 1e-5f);
                    double err = Bf16.relError(got, want);
                    assertTrue(err < 4e-3, "hidden " + hidden + ": relative error " + err);
                }
            }
        }
    }

    @Test
    void ropeRotatesQAndWritesKvIntoTheSegment() {
        RopeScaling llama3 = new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192);
        for (int[] shape : new int[][] {{4, 2, 16}, {32, 8, 128}}) {
            int hq = shape[0], hk = shape[1], d = shape[2];
            ModelConfig c = new ModelConfig("llama", 100, hq * d, 8, 2, hq, hk, d, 131072, 1e-5, 500000.0, llama3, false, false,
                    DType.BF16);
            double[] inv = Rope.inverseFrequencies(c);
            float[] invF = new float[inv.length];
            for (int i = 0; i < inv.length; i++) invF[i] = (float) inv[i];
            int rows = 19, ld = (hq + 2 * hk) * d, layers = 2, layer = 1, cap = 40;
            float[] qkv = new float[rows * ld];
            for (int i = 0; i < qkv.length; i++) qkv[i] = (float) rnd.nextGaussian();
            int[] pos = new int[rows], slots = new int[rows];
            for (int r = 0; r < rows; r++) { pos[r] = rnd.nextInt(120000); slots[r] = 2 * r + 1; }
            try (CudaKvSegment seg = CudaKvSegment.allocate(gpu.device, layers, hk, d, cap);
                 DeviceBuffer dq = gpu.floats(qkv, "qkv"); DeviceBuffer dp = gpu.ints(pos, "pos"); DeviceBuffer df = gpu.floats(invF, "inv");
                 DeviceBuffer qOut = gpu.buffer(2L * rows * hq * d, "q"); DeviceBuffer dst = gpu.buffer(32L * rows, "dst")) {
                long[] t = new long[4 * rows];
                for (int r = 0; r < rows; r++) {
                    t[4 * r] = seg.keyAddress(slots[r]);
                    t[4 * r + 1] = seg.valueAddress(slots[r]);
                    t[4 * r + 2] = seg.headStride();
                    t[4 * r + 3] = seg.layerStride();
                }
                dst.upload(t);
                new RopeKernel(gpu.lib).launch(dq, ld, dp, df, qOut, dst, rows, hq, hk, d, layer);
                ElementwiseReference.RopeOut want = ElementwiseReference.rope(qkv, ld, pos, invF, rows, hq, hk, d);
                assertTrue(Bf16.relError(gpu.readBf16(qOut, rows * hq * d), want.q()) < 4e-3, "q");
                float[] kv = gpu.readBf16(seg.buffer(), (int) (CudaKvSegment.bytes(layers, hk, d, cap) / 2));
                float[] gotK = new float[rows * hk * d], gotV = new float[rows * hk * d];
                for (int r = 0; r < rows; r++) {
                    for (int h = 0; h < hk; h++) {
                        for (int i = 0; i < d; i++) {
                            long base = layer * seg.layerStride() + h * seg.headStride() + (long) slots[r] * d + i;
                            gotK[(r * hk + h) * d + i] = kv[(int) base];
                            gotV[(r * hk + h) * d + i] = kv[(int) (base + hk * seg.headStride())];
                        }
                    }
                }
                assertTrue(Bf16.relError(gotK, want.k()) < 4e-3, "k");
                assertArrayEquals(want.v(), gotV, "v is copied exactly (rounded to bf16)");
                for (int i = 0; i < (int) seg.layerStride(); i++) assertEquals(0f, kv[i], "layer 0 untouched");
            }
        }
    }

    @Test
    void swigluAndResidualAdd() {
        int rows = 9, inter = 176;
        float[] gu = new float[rows * 2 * inter];
        for (int i = 0; i < gu.length; i++) gu[i] = (float) (rnd.nextGaussian() * 2);
        ActivationKernel act = new ActivationKernel(gpu.lib);
        try (DeviceBuffer d = gpu.floats(gu, "gu"); DeviceBuffer out = gpu.buffer(2L * rows * inter, "out")) {
            act.swiglu(d, out, rows, inter);
            assertTrue(Bf16.relError(gpu.readBf16(out, rows * inter), ElementwiseReference.swiglu(gu, rows, inter)) < 4e-3);
        }
        float[] x = Bf16.random(rnd, 1001, 3f), y = Bf16.random(rnd, 1001, 3f);
        try (DeviceBuffer dx = gpu.floats(x, "x"); DeviceBuffer dy = gpu.floats(y, "y")) {
            act.residualAdd(dx, dy, x.length);
            float[] got = gpu.readFloats(dx, x.length);
            for (int i = 0; i < x.length; i++) assertEquals(x[i] + y[i], got[i], 0f);
        }
    }
}
