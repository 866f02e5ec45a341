package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@code auto} splits the activations only for bf16 weights over an fp32 KV cache; an explicit setting overrides it. */
class Bf16SplitTest {

    @Test
    void autoSplitsActivationsOnlyForBf16WeightsWithAnFp32KvCache() {
        assertEquals(Bf16Split.ACTIVATIONS, Bf16Split.resolve("auto", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("auto", CpuDtype.BF16, CpuDtype.BF16));
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("auto", CpuDtype.FP32, CpuDtype.BF16));
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("auto", CpuDtype.FP32, CpuDtype.FP32));
        assertEquals(Bf16Split.ACTIVATIONS, Bf16Split.resolve(" AUTO ", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals(Bf16Split.ACTIVATIONS, Bf16Split.resolve("", CpuDtype.BF16, CpuDtype.FP32));
    }

    @Test
    void anExplicitSettingOverridesAuto() {
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("none", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals(Bf16Split.ALL, Bf16Split.resolve("all", CpuDtype.BF16, CpuDtype.BF16));
        assertEquals(new Bf16Split(false, true, true), Bf16Split.resolve("q,p", CpuDtype.FP32, CpuDtype.BF16));
        assertEquals("activations", Bf16Split.ACTIVATIONS.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bf16Split.resolve("activation", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals("-Dhydragen.bf16.split: unknown operand 'activation' (auto, all, none, or any of activations, q, p)", e.getMessage());
    }
}
