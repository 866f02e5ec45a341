package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.ElementwiseReference;
import io.hydragen.model.DType;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.Rope;
import io.hydragen.model.RopeScaling;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * embedding, rmsnorm, rope and activation kernels, executed on the CPU by the emulation build (EmuBuild), launched
 * through the production host wrappers, against the same CPU references as ElementwiseKernelsGpuTest.
 */
class EmuElementwiseTest {
    private final Random rnd = new Random(2024);

    @BeforeEach
    void needCompiler() { EmuBuild.require(); }

    @Test
    void embeddingGathersRows() {
        EmuDevice emu = new EmuDevice(4);
        int vocab = 300, hidden = 96;
        float[] table = Bf16.random(rnd, vocab * hidden, 1f);
        int[] ids = {0, 299, 17, 17, -1, 300, 123};
        DeviceBuffer t = emu.bf16(table, "table"), i = emu.ints(ids, "ids"), out = emu.poisoned((long) ids.length * hidden, "out");
        new EmbeddingKernel(emu).launch(i, t, out, ids.length, hidden, vocab);
        emu.run();
        assertArrayEquals(ElementwiseReference.embedding(ids, table, hidden, vocab), emu.readFloats(out, ids.length * hidden));
    }

    @Test
    void rmsnormMatchesReference() {
        for (int hidden : new int[] {64, 96, 520, 4096}) {  // 4096: 1024 threads, the largest block
            int rows = 9;
            float[] x = new float[rows * hidden];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 3);
            float[] w = new float[hidden];
            for (int i = 0; i < hidden; i++) w[i] = 0.5f + rnd.nextFloat();
            int[] idx = {8, 0, 5, 5, 2};
            for (int[] rowIdx : new int[][] {null, idx}) {
                EmuDevice emu = new EmuDevice(4);
                int n = rowIdx == null ? rows : rowIdx.length;
                DeviceBuffer dx = emu.floats(x, "x"), dw = emu.floats(w, "w"), di = rowIdx == null ? null : emu.ints(rowIdx, "rowIdx");
                DeviceBuffer out = emu.buffer(2L * n * hidden, "out");
                emu.fill32(out, 0x7fc07fc0, 0, (long) n * hidden / 2);
                new RmsNormKernel(emu).launch(dx, di, dw, out, n, hidden, 1e-5f);
                emu.run();
                double err = Bf16.relError(emu.readBf16(out, n * hidden), ElementwiseReference.rmsnorm(x, rowIdx, w, n, hidden, 1e-5f));
                assertTrue(err < 4e-3, "hidden " + hidden + ": relative error " + err);
            }
        }
    }

    @Test
    void ropeRotatesQAndWritesKvIntoTheSegment() {
        RopeScaling llama3 = new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192);
        for (int[] shape : new int[][] {{4, 2, 16}, {8, 2, 64}}) {
            int hq = shape[0], hk = shape[1], d = shape[2];
            ModelConfig c = new ModelConfig("llama", 100, hq * d, 8, 2, hq, hk, d, 131072, 1e-5, 500000.0, llama3, false, false, DType.BF16);
            double[] inv = Rope.inverseFrequencies(c);
            float[] invF = new float[inv.length];
            for (int i = 0; i < inv.length; i++) invF[i] = (float) inv[i];
            int rows = 7, ld = (hq + 2 * hk) * d, layers = 2, layer = 1, cap = 16;
            float[] qkv = new float[rows * ld];
            for (int i = 0; i < qkv.length; i++) qkv[i] = (float) rnd.nextGaussian();
            int[] pos = new int[rows], slots = new int[rows];
            for (int r = 0; r < rows; r++) { pos[r] = rnd.nextInt(120000); slots[r] = 2 * r + 1; }
            EmuDevice emu = new EmuDevice(4);
            long segBytes = CudaKvSegment.bytes(layers, hk, d, cap), hs = (long) cap * d, ls = 2L * hk * cap * d;
            DeviceBuffer seg = emu.shorts(new short[(int) (segBytes / 2)], "KV segment");  // zeroed, as CudaKvSegment.allocate
            DeviceBuffer dq = emu.floats(qkv, "qkv"), dp = emu.ints(pos, "pos"), df = emu.floats(invF, "inv");
            DeviceBuffer qOut = emu.buffer(2L * rows * hq * d, "q");
            long[] t = new long[4 * rows];
            for (int r = 0; r < rows; r++) {
                t[4 * r] = seg.address(2L * slots[r] * d);                    // CudaKvSegment.keyAddress
                t[4 * r + 1] = seg.address(2L * (hk * hs + (long) slots[r] * d));  // CudaKvSegment.valueAddress
                t[4 * r + 2] = hs;
                t[4 * r + 3] = ls;
            }
            DeviceBuffer dst = emu.longs(t, true, "dst");
            new RopeKernel(emu).launch(dq, ld, dp, df, qOut, dst, rows, hq, hk, d, layer);
            emu.run();
            ElementwiseReference.RopeOut want = ElementwiseReference.rope(qkv, ld, pos, invF, rows, hq, hk, d);
            assertTrue(Bf16.relError(emu.readBf16(qOut, rows * hq * d), want.q()) < 4e-3, "q");
            float[] kv = emu.readBf16(seg, (int) (segBytes / 2));
            float[] gotK = new float[rows * hk * d], gotV = new float[rows * hk * d];
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < hk; h++) {
                    for (int i = 0; i < d; i++) {
                        long base = layer * ls + h * hs + (long) slots[r] * d + i;
                        gotK[(r * hk + h) * d + i] = kv[(int) base];
                        gotV[(r * hk + h) * d + i] = kv[(int) (base + hk * hs)];
                    }
                }
            }
            assertTrue(Bf16.relError(gotK, want.k()) < 4e-3, "k");
            assertArrayEquals(want.v(), gotV, "v is copied exactly (rounded to bf16)");
            for (int i = 0; i < (int) ls; i++) assertEquals(0f, kv[i], "layer 0 untouched");
        }
    }

    @Test
    void swigluAndResidualAdd() {
        int rows = 5, inter = 176;
        float[] gu = new float[rows * 2 * inter];
        for (int i = 0; i < gu.length; i++) gu[i] = (float) (rnd.nextGaussian() * 2);
        EmuDevice emu = new EmuDevice(1);  // a grid smaller than the data: the grid-stride loops run more than once
        ActivationKernel act = new ActivationKernel(emu);
        DeviceBuffer d = emu.floats(gu, "gu"), out = emu.buffer(2L * rows * inter, "out");
        act.swiglu(d, out, rows, inter);
        float[] x = Bf16.random(rnd, 10001, 3f), y = Bf16.random(rnd, 10001, 3f);
        DeviceBuffer dx = emu.floats(x, "x"), dy = emu.floats(y, "y");
        act.residualAdd(dx, dy, x.length);
        emu.run();
        assertTrue(Bf16.relError(emu.readBf16(out, rows * inter), ElementwiseReference.swiglu(gu, rows, inter)) < 4e-3);
        float[] got = emu.readFloats(dx, x.length);
        for (int i = 0; i < x.length; i++) assertEquals(x[i] + y[i], got[i], 0f);
    }
}
