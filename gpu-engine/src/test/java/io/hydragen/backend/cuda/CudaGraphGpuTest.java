package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.ElementwiseReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A captured graph replays the same work on new inputs uploaded before each launch (GPU only). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaGraphGpuTest {
    private Gpu gpu;

    @BeforeAll
    void open() { gpu = Gpu.openOrNull(); }

    @BeforeEach
    void needGpu() { Gpu.require(); }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    @Test
    void replayEqualsEagerOnFreshInputs() {
        int rows = 33, hidden = 256, out = 320;
        Random rnd = new Random(3);
        float[] w = new float[hidden];
        for (int i = 0; i < hidden; i++) w[i] = 0.5f + rnd.nextFloat();
        float[] proj = Bf16.random(rnd, out * hidden, 1f);
        RmsNormKernel norm = new RmsNormKernel(gpu.lib);
        GemmKernel gemm = new GemmKernel(gpu.lib);
        GemmPlan plan = gemm.plan(rows, out, hidden);
        try (DeviceBuffer x = gpu.buffer(4L * rows * hidden, "x"); DeviceBuffer dw = gpu.floats(w, "w");
             DeviceBuffer h = gpu.buffer(2L * rows * hidden, "h"); DeviceBuffer dp = gpu.bf16(proj, "proj");
             DeviceBuffer y = gpu.buffer(4L * rows * out, "y");
             DeviceBuffer ws = gpu.buffer(4L * Math.max(1, plan.workspaceFloats()), "ws")) {
            Runnable body = () -> {
                norm.launch(x, null, dw, h, rows, hidden, 1e-5f);
                gemm.launch(plan, h, dp, 0, y, out, null, false, plan.splits() > 1 ? ws : null);
            };
            try (CudaGraph g = CudaGraph.capture(gpu.device, "test", body)) {
                for (int round = 0; round < 3; round++) {
                    float[] xs = new float[rows * hidden];
                    for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian();
                    x.upload(xs);
                    body.run();
                    float[] eager = gpu.readFloats(y, rows * out);
                    y.fill32(0x7fc00000, 0, (long) rows * out);
                    g.launch();
                    float[] replay = gpu.readFloats(y, rows * out);
                    assertArrayEquals(eager, replay, "replay " + round + " equals the eager run bit for bit");
                    float[] hn = ElementwiseReference.rmsnorm(xs, null, w, rows, hidden, 1e-5f);
                    float[] want = ElementwiseReference.gemm(hn, proj, null, null, rows, out, hidden, false);
                    assertTrue(Bf16.relError(replay, want) < 1e-2, "and computes the product of fresh inputs");
                }
            }
        }
    }
}
