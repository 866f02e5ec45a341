package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.model.SharedModels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The error budget of bf16 compute on the reference checkpoints: each source of rounding turned on alone (as far as the
 * engine allows) against Hugging Face transformers' float32 answers, printed as a table (docs/benchmarks.md, "BF16
 * error budget"): the largest logit error and the smallest margin above which greedy ids equal the reference. The
 * sources: the weights' own bf16 storage (activations split, so ≈ fp32 activations), the activations entering weight
 * products, K and V storage (Q and P split), the queries of Q·Kᵀ and the probabilities of P·V (each on top of K/V
 * storage, which the kernel's attention cannot leave out), and the default's choice ({@code auto}: all split but the
 * attention output, which is rounded). -Dhydragen.bf16.split picks what is split ({@code Bf16Split}); it is read when
 * an engine is built. Needs the AVX512_BF16 kernel; run with
 * -Dhydragen.bf16.nonative=true too for the widened paths (no kernel rounding at all), the exact storage-only rows.
 *
 * <p>Asserted: splitting each source never makes its error larger than rounding it (auto's included), and everything split together
 * is within twice the worse of the two storage-only errors (the rounding that stays).
 */
class Bf16ErrorBudgetTest {
    private record Setting(String name, String dtype, String kv, String split) {}

    @Test
    void budgetPerSourceOfRounding() throws IOException {
        boolean kernel = CpuDtype.whyNotBf16() == null;
        // without the kernel bf16 is widened to fp32 for SGEMM: only the storage rounds, which gives those rows exactly
        Setting[] widened = {
                new Setting("weights storage (widened)", "bf16", "fp32", "none"),
                new Setting("K/V storage (widened)", "fp32", "bf16", "none"),
                new Setting("weights and K/V storage (widened)", "bf16", "bf16", "none"),
        };
        Setting[] settings = !kernel ? widened : new Setting[] {
                new Setting("fp32 (none rounded)", "fp32", "fp32", "all"),
                new Setting("weights storage (activations split)", "bf16", "fp32", "all"),
                new Setting("weights + activations rounded", "bf16", "fp32", "none"),
                new Setting("weights + attention output rounded (auto)", "bf16", "fp32", "auto"),
                new Setting("K/V storage (Q, P split)", "fp32", "bf16", "all"),
                new Setting("K/V storage + Q rounded", "fp32", "bf16", "p"),
                new Setting("K/V storage + P rounded", "fp32", "bf16", "q"),
                new Setting("K/V storage + Q, P rounded", "fp32", "bf16", "none"),
                new Setting("everything rounded (bf16, bf16 KV, no split)", "bf16", "bf16", "none"),
                new Setting("bf16, bf16 KV, all split", "bf16", "bf16", "all"),
                new Setting("bf16, bf16 KV, activations, Q, P split", "bf16", "bf16", "activations,q,p"),
                new Setting("bf16, bf16 KV, auto split (the default)", "bf16", "bf16", "auto"),
        };
        StringBuilder table = new StringBuilder("| rounding on | tiny-llama-bpe error | margin needed | tiny-llama-sp error | margin needed |\n| --- | ---: | ---: | ---: | ---: |\n");
        Map<String, double[]> error = new LinkedHashMap<>();
        for (Setting s : settings) {
            table.append("| ").append(s.name);
            double[] e = new double[2];
            int col = 0;
            for (String model : new String[] {"tiny-llama-bpe", "tiny-llama-sp"}) {
                Path dir = SharedModels.require(model);
                Bf16ReferenceRun run = Bf16ReferenceRun.of(dir, EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype(s.dtype).withKvCacheDtype(s.kv), s.split);
                e[col++] = run.logitError();
                table.append(String.format(" | %.5f | %.3f", run.logitError(), run.neededMargin()));
            }
            table.append(" |\n");
            error.put(s.name, e);
        }
        System.out.print("BF16 error budget (" + (kernel ? "kernel" : "no kernel: " + CpuDtype.whyNotBf16()) + ")\n" + table);
        assumeTrue(kernel, "the rest compares the kernel's settings");
        for (int m = 0; m < 2; m++) {
            assertTrue(error.get("weights storage (activations split)")[m] <= error.get("weights + activations rounded")[m]);
            assertTrue(error.get("K/V storage (Q, P split)")[m] <= error.get("K/V storage + Q, P rounded")[m]);
            assertTrue(error.get("weights + attention output rounded (auto)")[m] <= error.get("weights + activations rounded")[m]);
            assertTrue(error.get("bf16, bf16 KV, auto split (the default)")[m] <= error.get("everything rounded (bf16, bf16 KV, no split)")[m]);
            double kept = Math.max(error.get("weights storage (activations split)")[m], error.get("K/V storage (Q, P split)")[m]);
            assertTrue(error.get("bf16, bf16 KV, all split")[m] <= 2 * kept + 1e-3, "all split: " + error.get("bf16, bf16 KV, all split")[m]);
        }
    }
}
