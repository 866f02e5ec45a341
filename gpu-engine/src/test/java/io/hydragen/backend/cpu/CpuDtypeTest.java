package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hydragen.model.DType;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;
import org.junit.jupiter.api.Test;

/** The dtype setting: auto never rounds a weight, the forced values win, and the backend stores what was chosen. */
class CpuDtypeTest {
    @Test
    void autoTakesBf16OnlyForBf16CheckpointsWithTheKernel() {
        assertEquals(Bf16Native.available() ? CpuDtype.BF16 : CpuDtype.FP32, CpuDtype.resolve("auto", DType.BF16));
        assertEquals(CpuDtype.FP32, CpuDtype.resolve("auto", DType.F32));
        assertEquals(CpuDtype.FP32, CpuDtype.resolve(null, DType.F16));
        assertEquals(CpuDtype.BF16, CpuDtype.resolve("BF16", DType.F32));
        assertEquals(CpuDtype.FP32, CpuDtype.resolve(" fp32 ", DType.BF16));
        assertThrows(IllegalArgumentException.class, () -> CpuDtype.resolve("fp16", DType.F32));
    }

    @Test
    void bf16BackendHoldsHalfTheWeightBytes() {
        try (Model m = ModelLoader.load("synthetic:tiny")) {
            try (CpuBackend fp32 = new CpuBackend(m, 1, CpuDtype.FP32); CpuBackend bf16 = new CpuBackend(m, 1, CpuDtype.BF16)) {
                assertEquals(CpuDtype.BF16, bf16.dtype());
                long a = fp32.weightBytes(), b = bf16.weightBytes();
                // bf16 pads rows to 16 and columns to even: a little over half
                assertEquals(0.5, b / (double) a, 0.02, "bf16 weight bytes " + b + " vs fp32 " + a);
            }
        }
    }
}
