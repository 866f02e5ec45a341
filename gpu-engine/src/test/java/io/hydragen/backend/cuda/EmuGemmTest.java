package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.ElementwiseReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gemm.cu (mma.sync m16n8k16, ldmatrix, 3-stage cp.async with zero-fill at ragged edges, split-K and its reduce)
 * executed on the CPU by the emulation build, through GemmKernel, against ElementwiseReference.gemm: every tile
 * shape, ragged M, N and K, bias, accumulation, split-K. Shapes mirror GemmGpuTest, smaller.
 */
class EmuGemmTest {
    private final Random rnd = new Random(7);

    @BeforeEach
    void needCompiler() { EmuBuild.require(); }

    /** Queues one product on {@code emu}; returns the check to run after {@link EmuDevice#run()}. */
    private Runnable queue(EmuDevice emu, GemmPlan p, boolean bias, boolean accumulate) {
        int m = p.m(), n = p.n(), k = p.k();
        float[] a = Bf16.random(rnd, m * k, 1f), w = Bf16.random(rnd, n * k, 1f), c0 = Bf16.random(rnd, m * n, 2f);
        float[] b = bias ? Bf16.random(rnd, n, 1f) : null;
        DeviceBuffer da = emu.bf16(a, "A"), dw = emu.bf16(w, "W"), dc = emu.floats(c0, "C");
        DeviceBuffer db = bias ? emu.floats(b, "bias") : null;
        DeviceBuffer ws = p.workspaceFloats() > 0 ? emu.poisoned(p.workspaceFloats(), "ws") : null;
        if (!accumulate) emu.fill32(dc, 0x7fc00000, 0, (long) m * n);
        new GemmKernel(emu).launch(p, da, dw, 0, dc, n, db, accumulate, ws);
        return () -> {
            float[] got = emu.readFloats(dc, m * n);
            float[] want = ElementwiseReference.gemm(a, w, b, c0, m, n, k, accumulate);
            double err = Bf16.relError(got, want);
            assertTrue(err < 1e-4, p + " bias=" + bias + " acc=" + accumulate + ": relative error " + err);
        };
    }

    @Test
    void everyTileShapeWithoutSplit() {
        EmuDevice emu = new EmuDevice(132);
        java.util.List<Runnable> checks = new java.util.ArrayList<>();
        for (GemmPlan.Tile t : GemmPlan.Tile.values()) {
            for (int[] s : new int[][] {{1, 8, 16}, {37, 100, 64}, {70, 136, 104}}) {
                checks.add(queue(emu, new GemmPlan(t, s[0], s[1], s[2], 1, GemmPlan.roundUp(s[2], 32)), t.ordinal() == 1, t.ordinal() == 2));
            }
        }
        emu.run();
        checks.forEach(Runnable::run);
    }

    @Test
    void splitKWithReduction() {
        EmuDevice emu = new EmuDevice(132);
        java.util.List<Runnable> checks = new java.util.ArrayList<>();
        for (GemmPlan.Tile t : GemmPlan.Tile.values()) {
            checks.add(queue(emu, new GemmPlan(t, 33, 72, 264, 3, 96), true, true));
            checks.add(queue(emu, new GemmPlan(t, 5, 96, 96, 3, 32), false, false));
        }
        emu.run();
        checks.forEach(Runnable::run);
    }

    @Test
    void plannedShapes() {
        EmuDevice emu = new EmuDevice(8);
        GemmKernel g = new GemmKernel(emu);
        java.util.List<Runnable> checks = new java.util.ArrayList<>();
        checks.add(queue(emu, g.plan(4, 64, 1024), false, true));   // decode: split K
        checks.add(queue(emu, g.plan(130, 260, 64), true, false));  // several blocks, ragged edges
        emu.run();
        checks.forEach(Runnable::run);
    }
}
