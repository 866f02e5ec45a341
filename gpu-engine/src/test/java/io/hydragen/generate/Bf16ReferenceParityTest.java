package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hydragen.backend.cpu.Bf16Split;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.model.SharedModels;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * BF16 compute against Hugging Face transformers' float32 answers on the reference checkpoints (../shared/models, see
 * their README for how expected.json was made): greedy ids must equal the reference at every step up to the first whose
 * top-2 margin is at most the margin given, and the logits' largest error (last prompt position, top 10) is printed and
 * bounded. The split ({@code Bf16Split}) as a backend picks it by default ({@code auto}) and as -Dhydragen.bf16.split
 * overrides it. With an fp32 KV cache {@code auto} carries the activations as hi + lo bf16 parts, so only storage rounds:
 * none of tiny-llama-bpe's bf16 weights (error 2.3e-4 when written, every greedy id equal: issue #12's margin 0.05
 * holds), tiny-llama-sp's fp16 weights rounded to bf16 (0.125, ids equal above margin 0.066); rounded instead
 * ({@code none}): 0.114 and 0.222. With the bf16 KV cache ({@code --kv-cache-dtype auto} on bf16 weights) {@code auto}
 * splits nothing, since splitting there costs more than it gains (Q and P split: 0.82× decode for ids equal above
 * 0.065 instead of 0.078 on tiny-llama-bpe): 0.170 and 0.212, so steps with margins up to 0.25 may flip;
 * {@code activations,q,p} brings it to 0.104 and 0.188 (ids equal above 0.065 and 0.119), {@code all} to the KV
 * storage's own 0.102 and 0.161.
 * (docs/benchmarks.md, "BF16 error budget", from {@link Bf16ErrorBudgetTest}.)
 */
class Bf16ReferenceParityTest {

    @ParameterizedTest(name = "{0} KV {1} split {2}: margin {3}")
    @CsvSource({
            "tiny-llama-bpe, fp32, auto, 0.05, 0.04",
            "tiny-llama-sp,  fp32, auto, 0.15, 0.15",
            "tiny-llama-bpe, fp32, none, 0.25, 0.3",
            "tiny-llama-sp,  fp32, none, 0.25, 0.3",
            "tiny-llama-bpe, auto, auto, 0.10, 0.2",
            "tiny-llama-sp,  auto, auto, 0.25, 0.25",
            "tiny-llama-bpe, auto, 'activations,q,p', 0.10, 0.13",
            "tiny-llama-sp,  auto, 'activations,q,p', 0.15, 0.22",
            "tiny-llama-bpe, auto, all,  0.10, 0.13",
            "tiny-llama-sp,  auto, all,  0.15, 0.20"})
    void greedyIdsMatchOnClearStepsAndLogitErrorIsSmall(String model, String kv, String split, double margin, double logitBound) throws IOException {
        Path dir = SharedModels.require(model);
        Bf16ReferenceRun run = Bf16ReferenceRun.of(dir, EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("bf16").withKvCacheDtype(kv), split);
        run.assertMatches(model + ", bf16 weights, KV cache " + kv + ", split " + split, margin, logitBound);
    }

    /**
     * The settings above store weights (and with auto, the KV cache) in bf16, and {@code auto} splits the activations
     * (not the attention output) over an fp32 KV cache, nothing over a bf16 one.
     */
    @Test
    void bf16IsWhatRanAndAutoSplitsTheActivationsOverAnFp32KvCache() throws IOException {
        Path dir = SharedModels.require("tiny-llama-bpe");
        assumeTrue(System.getProperty(Bf16Split.PROPERTY) == null, "-D" + Bf16Split.PROPERTY + " overrides auto");
        try (Engine bf16Kv = Engine.open(EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("bf16"));
             Engine fp32Kv = Engine.open(EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("bf16").withKvCacheDtype("fp32"))) {
            CpuBackend cpu = (CpuBackend) bf16Kv.backend();
            assertEquals(CpuDtype.BF16, cpu.dtype());
            assertEquals(CpuDtype.BF16, cpu.kvDtype());
            assertEquals(Bf16Split.NONE, cpu.split());
            CpuBackend other = (CpuBackend) fp32Kv.backend();
            assertEquals(CpuDtype.BF16, other.dtype());
            assertEquals(CpuDtype.FP32, other.kvDtype());
            assertEquals(Bf16Split.ACTIVATIONS, other.split());
        }
    }
}
