package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.ElementwiseReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every GEMM tile shape, with and without split-K, bias and accumulation, on ragged shapes (GPU only). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GemmGpuTest {
    private Gpu gpu;
    private final Random rnd = new Random(7);

    @BeforeAll
    void open() { gpu = Gpu.openOrNull(); }

    @BeforeEach
    void needGpu() { Gpu.require(); }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    private void check(GemmPlan p, boolean bias, boolean accumulate) {
        int m = p.m(), n = p.n(), k = p.k();
        float[] a = Bf16.random(rnd, m * k, 1f), w = Bf16.random(rnd, n * k, 1f), c0 = Bf16.random(rnd, m * n, 2f);
        float[] b = bias ? Bf16.random(rnd, n, 1f) : null;
        try (DeviceBuffer da = gpu.bf16(a, "A"); DeviceBuffer dw = gpu.bf16(w, "W"); DeviceBuffer dc = gpu.floats(c0, "C");
             DeviceBuffer db = bias ? gpu.floats(b, "bias") : null;
             DeviceBuffer ws = p.workspaceFloats() > 0 ? gpu.poisoned(p.workspaceFloats(), "ws") : null) {
            if (!accumulate) dc.fill32(0x7fc00000, 0, (long) m * n);
            new GemmKernel(gpu.lib).launch(p, da, dw, 0, dc, n, db, accumulate, ws);
            float[] got = gpu.readFloats(dc, m * n);
            float[] want = ElementwiseReference.gemm(a, w, b, c0, m, n, k, accumulate);
            double err = Bf16.relError(got, want);
            assertTrue(err < 1e-4, p + " bias=" + bias + " acc=" + accumulate + ": relative error " + err);
        }
    }

    @Test
    void everyTileShapeWithoutSplit() {
        for (GemmPlan.Tile t : GemmPlan.Tile.values()) {
            for (int[] s : new int[][] {{1, 8, 16}, {37, 100, 64}, {130, 260, 808}, {64, 128, 32}}) {
                check(new GemmPlan(t, s[0], s[1], s[2], 1, GemmPlan.roundUp(s[2], 32)), t.ordinal() == 1, t.ordinal() == 2);
            }
        }
    }

    @Test
    void splitKWithReduction() {
        for (GemmPlan.Tile t : GemmPlan.Tile.values()) {
            check(new GemmPlan(t, 33, 200, 1000, 4, 256), true, true);
            check(new GemmPlan(t, 5, 96, 96, 3, 32), false, false);
        }
    }

    @Test
    void plannedDecodeAndPrefillShapes() {
        GemmKernel g = new GemmKernel(gpu.lib);
        check(g.plan(64, 1024, 4096), false, true);
        check(g.plan(256, 2048, 1024), true, false);
        check(g.plan(3, 50257, 64), false, false);
    }
}
