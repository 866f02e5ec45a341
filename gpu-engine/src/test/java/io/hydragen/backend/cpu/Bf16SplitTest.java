package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@code auto} splits the activations for bf16 weights over an fp32 KV cache, nothing otherwise; a setting overrides it. */
class Bf16SplitTest {

    @Test
    void autoSplitsTheActivationsForBf16WeightsOverAnFp32KvCache() {
        Bf16Split auto = new Bf16Split(true, false, false, false);
        assertEquals(auto, Bf16Split.resolve("auto", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("auto", CpuDtype.BF16, CpuDtype.BF16));
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("auto", CpuDtype.FP32, CpuDtype.BF16));
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("auto", CpuDtype.FP32, CpuDtype.FP32));
        assertEquals(auto, Bf16Split.resolve(" AUTO ", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals(auto, Bf16Split.resolve("", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals("activations,q,p", new Bf16Split(true, false, true, true).toString());
        assertEquals("activations", Bf16Split.ACTIVATIONS.toString());
    }

    @Test
    void anExplicitSettingOverridesAuto() {
        assertEquals(Bf16Split.NONE, Bf16Split.resolve("none", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals(Bf16Split.ALL, Bf16Split.resolve("all", CpuDtype.BF16, CpuDtype.BF16));
        assertEquals(new Bf16Split(false, false, true, true), Bf16Split.resolve("q,p", CpuDtype.FP32, CpuDtype.BF16));
        assertEquals(Bf16Split.ALL, Bf16Split.resolve("activations,o,q,p", CpuDtype.FP32, CpuDtype.FP32));
        assertEquals("all", Bf16Split.ALL.toString());
        assertEquals("o", Bf16Split.parse("o").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bf16Split.resolve("activation", CpuDtype.BF16, CpuDtype.FP32));
        assertEquals("-Dhydragen.bf16.split: unknown operand 'activation' (auto, all, none, or any of activations, o, q, p)", e.getMessage());
    }
}
