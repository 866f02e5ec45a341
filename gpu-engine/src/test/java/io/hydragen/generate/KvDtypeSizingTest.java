package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.hydragen.backend.KvSegment;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.model.ModelLoader;

import java.util.List;
import io.hydragen.backend.SettledOffHeap;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * KV sizing by the KV cache's dtype on synthetic:tiny (2 layers × 2 KV heads × head dim 16): bytes per token are what
 * a segment really allocates, and admission under a budget counts bf16 KV at 2 bytes a value, so a row that needs
 * between half and all of the budget at fp32's 4 bytes is answered with bf16 KV and refused with fp32 KV.
 */
class KvDtypeSizingTest {
    static EngineOptions options(String kv) {
        return EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(1).withCpuDtype("fp32").withKvCacheDtype(kv);
    }

    @Test
    void bytesPerTokenAreWhatASegmentAllocates() {
        for (String kv : new String[] {"fp32", "bf16"}) {
            try (Engine e = Engine.open(ModelLoader.load("synthetic:tiny"), options(kv))) {
                CpuBackend cpu = (CpuBackend) e.backend();
                long perToken = cpu.kvBytesPerToken();
                assertEquals(kv.equals("bf16") ? 256 : 512, perToken, kv + ": 2 layers × 2 heads × 16 × (K, V) × " + (kv.equals("bf16") ? 2 : 4) + " bytes");
                int capacity = 64;   // a multiple of 16: no bf16 block padding
                long before = SettledOffHeap.totalBytes();   // the previous round's model is garbage by now
                try (KvSegment s = cpu.newSegment(capacity)) {
                    assertEquals(capacity * perToken, Pointer.totalBytes() - before, kv + ": off-heap bytes of a " + capacity + "-slot segment");
                }
            }
        }
    }

    @Test
    void aBudgetHoldsTwiceTheTokensOfBf16Kv() {
        SamplingParams greedy = new SamplingParams(40, 0, 0, 1, 0, List.of(), List.of(), true, 1);
        GenerationRequest req = GenerationRequest.ofText("r", "The river runs north through the old town, past the mill.", greedy);
        int tokens;
        try (Engine probe = Engine.open(ModelLoader.load("synthetic:tiny"), options("fp32"))) {
            tokens = probe.tokenizer().encode(req.prompt(), true).length + greedy.maxNewTokens();
        }
        long budget = tokens * 256L + 100;   // the row at 2 bytes a value, not at 4
        try (Engine bf16 = Engine.open(ModelLoader.load("synthetic:tiny"), options("bf16").withKvBudgetBytes(budget));
             Engine fp32 = Engine.open(ModelLoader.load("synthetic:tiny"), options("fp32").withKvBudgetBytes(budget))) {
            Completion ok = bf16.generate(List.of(req)).completions().get(0);
            assertNull(ok.error(), ok.error());
            assertEquals(greedy.maxNewTokens(), ok.tokenIds().length);
            Completion refused = fp32.generate(List.of(req)).completions().get(0);
            assertEquals(FinishReason.ERROR, refused.finishReason());
            assertEquals(KvSizing.tooLargeMessage(tokens, tokens - greedy.maxNewTokens(), greedy.maxNewTokens(), 512, budget), refused.error());
        }
    }

    @Test
    void autoFollowsTheWeights() {
        assertEquals(CpuDtype.BF16, CpuDtype.resolveKvCache("auto", CpuDtype.BF16));
        assertEquals(CpuDtype.FP32, CpuDtype.resolveKvCache(null, CpuDtype.FP32));
        assertEquals(CpuDtype.BF16, CpuDtype.resolveKvCache("BF16", CpuDtype.FP32));
        assertEquals(CpuDtype.FP32, CpuDtype.resolveKvCache("fp32", CpuDtype.BF16));
        try (Engine e = Engine.open(ModelLoader.load("synthetic:tiny"), options("auto"))) {
            assertEquals(CpuDtype.FP32, ((CpuBackend) e.backend()).kvDtype(), "fp32 weights: fp32 KV, so fp32 parity runs stay fp32");
        }
    }
}
