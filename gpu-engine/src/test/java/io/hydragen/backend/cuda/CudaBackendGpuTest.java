package io.hydragen.backend.cuda;

import io.hydragen.sampling.SamplingSeeds;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.Sampler;
import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.SamplingReference;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA backend end to end on the reference checkpoints (../shared/models): greedy ids equal transformers' on
 * every step whose recorded margin is above 0.05 (bf16 arithmetic), logits close to the CPU backend's, CUDA graphs
 * changing nothing, device sampling, and clear errors (GPU only).
 */
class CudaBackendGpuTest {
    private static final double MARGIN = 0.05;

    @BeforeEach
    void needGpu() { Gpu.require(); }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama-bpe,HYDRAGEN", "tiny-llama-sp,HYDRAGEN", "tiny-llama-bpe,PER_SEQUENCE", "tiny-llama-sp,PER_SEQUENCE"})
    void greedyIdsMatchTransformersAndLogitsTheCpu(String name, AttentionMode mode) {
        Path dir = SharedModels.require(name);
        try (Model model = ModelLoader.load(dir.toString()); CudaBackend cuda = new CudaBackend(model, Gpu.ORDINAL);
             CpuBackend cpu = cpuOrNull(model)) {
            for (SharedExpectations set : SharedExpectations.read(dir)) {
                GreedyDriver.Run g = GreedyDriver.greedy(cuda, set.inputIds(), 24, mode, 4);
                int compared = 0;
                for (int p = 0; p < set.inputIds().size(); p++) compared += set.check(p, g.ids().get(p), MARGIN, name + " " + mode);
                assertTrue(compared > 10, set.set() + ": too few steps compared (" + compared + ")");
                if (cpu == null) continue;
                GreedyDriver.Run c = GreedyDriver.greedy(cpu, set.inputIds(), 24, mode, 4);
                for (int p = 0; p < set.inputIds().size(); p++) {
                    String where = name + " " + mode + " " + set.set() + "[" + p + "]";
                    int[] gi = g.ids().get(p), ci = c.ids().get(p);
                    for (int t = 0; t < gi.length; t++) {
                        double err = Bf16.relError(g.logits().get(p).get(t), c.logits().get(p).get(t));
                        assertTrue(err < 3e-2, where + " step " + t + ": logits relative error " + err + " against the CPU backend");
                        if (gi[t] != ci[t]) break;  // from here on the two runs feed different tokens
                    }
                }
            }
        }
    }

    /**
     * The CPU backend for the logit comparison, or null where its BLAS natives are not on the class path (a GPU
     * machine run packed by bin/device-pack leaves OpenBLAS out to stay within what travels there).
     */
    private static CpuBackend cpuOrNull(Model model) {
        try {
            return new CpuBackend(model, 2);
        } catch (LinkageError | RuntimeException e) {
            System.err.println("CPU backend unavailable, comparing with transformers' ids only: " + e);
            return null;
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"HYDRAGEN", "PER_SEQUENCE"})
    void graphsChangeNothing(AttentionMode mode) {
        Path dir = SharedModels.require("tiny-llama-bpe");
        SharedExpectations set = SharedExpectations.read(dir).get(1);
        try (Model model = ModelLoader.load(dir.toString())) {
            GreedyDriver.Run eager, graphed;
            try (CudaBackend cuda = new CudaBackend(model, Gpu.ORDINAL, false)) {
                eager = GreedyDriver.greedy(cuda, set.inputIds(), 12, mode, 4);
            }
            try (CudaBackend cuda = new CudaBackend(model, Gpu.ORDINAL, true)) {
                graphed = GreedyDriver.greedy(cuda, set.inputIds(), 12, mode, 4);
            }
            for (int p = 0; p < set.inputIds().size(); p++) {
                assertArrayEquals(eager.ids().get(p), graphed.ids().get(p));
                for (int t = 0; t < 12; t++) {
                    assertArrayEquals(eager.logits().get(p).get(t), graphed.logits().get(p).get(t), "prompt " + p + " step " + t);
                }
            }
        }
    }

    /** One prompt prefilled in one pass: every position's logits. */
    private static ForwardBatch prefill(int[] ids, KvSegment seg) {
        int n = ids.length;
        seg.setLength(n);
        int[] pos = new int[n], slots = new int[n], rows = new int[n], vis = new int[n];
        KvSegment[] writes = new KvSegment[n];
        for (int r = 0; r < n; r++) { pos[r] = r; slots[r] = r; rows[r] = r; vis[r] = r + 1; writes[r] = seg; }
        return new ForwardBatch(ids, pos, writes, slots, List.of(new AttentionBlock(List.of(seg), rows, vis)), rows);
    }

    @Test
    void deviceSamplingAgreesWithTheLogits() {
        Path dir = SharedModels.require("tiny-llama-sp");
        int[] ids = SharedExpectations.read(dir).get(0).inputIds().get(0);
        try (Model model = ModelLoader.load(dir.toString()); CudaBackend cuda = new CudaBackend(model, Gpu.ORDINAL)) {
            float[][] logits;
            try (KvSegment s = cuda.newSegment(ids.length)) {
                logits = cuda.forward(prefill(ids, s), AttentionMode.HYDRAGEN);
            }
            RowSampling[] greedy = new RowSampling[ids.length], hot = new RowSampling[ids.length];
            for (int r = 0; r < ids.length; r++) {
                greedy[r] = RowSampling.GREEDY;
                hot[r] = new RowSampling(0.9f, 40, 0.9f, SamplingSeeds.rowSeed(5, r), 3);
            }
            int[] g, h;
            try (KvSegment s = cuda.newSegment(ids.length)) {
                g = cuda.forwardSample(prefill(ids, s), AttentionMode.HYDRAGEN, greedy).ids();
            }
            try (KvSegment s = cuda.newSegment(ids.length)) {
                h = cuda.forwardSample(prefill(ids, s), AttentionMode.HYDRAGEN, hot).ids();
            }
            int sameAsHost = 0;
            for (int r = 0; r < ids.length; r++) {
                if (Sampler.sample(logits[r], hot[r]) == h[r]) sameAsHost++;
                assertEquals(SamplingReference.argmax(logits[r]), g[r], "greedy row " + r);
                int floor = SamplingReference.threshold(logits[r], 0.9f, 40, 0.9f);
                int key = Float.floatToRawIntBits(logits[r][h[r]]);
                key = key < 0 ? ~key : key | 0x80000000;
                assertTrue(Integer.compareUnsigned(key, floor) >= 0, "sampled token of row " + r + " survives top-k/top-p");
            }
            // the host's sampler draws from the same Philox stream by the same rule; expf vs Math.exp may move a boundary draw
            assertTrue(sameAsHost >= ids.length - 1, sameAsHost + " of " + ids.length + " device draws equal the host sampler's");
        }
    }

    /**
     * A mixed pass: rows with null settings get their own logits back, the others are picked on the device under their
     * masks (greedy and sampled) with their raw log-probabilities, as the host's rule picks from the same logits.
     */
    @Test
    void aMixedPassSamplesMaskedAndLogprobRowsOnTheDevice() {
        Path dir = SharedModels.require("tiny-llama-sp");
        int[] ids = SharedExpectations.read(dir).get(0).inputIds().get(0);
        try (Model model = ModelLoader.load(dir.toString()); CudaBackend cuda = new CudaBackend(model, Gpu.ORDINAL)) {
            float[][] logits;
            try (KvSegment s = cuda.newSegment(ids.length)) {
                logits = cuda.forward(prefill(ids, s), AttentionMode.HYDRAGEN);
            }
            int vocab = logits[0].length;
            java.util.Random rnd = new java.util.Random(3);
            RowSampling[] rows = new RowSampling[ids.length];
            for (int r = 0; r < ids.length; r++) {
                int[] w = new int[(vocab + 31) / 32];
                for (int i = 0; i < vocab; i++) if (rnd.nextInt(3) == 0) w[i >>> 5] |= 1 << (i & 31);
                io.hydragen.sampling.TokenMask mask = new io.hydragen.sampling.TokenMask(new io.hydragen.sampling.TokenMask.Key(this, r, false), w);
                rows[r] = switch (r % 4) {
                    case 0 -> null;
                    case 1 -> new RowSampling(0f, 0, 1f, 0L, 0, mask, 5);
                    case 2 -> new RowSampling(0.9f, 40, 0.9f, SamplingSeeds.rowSeed(5, r), 3, mask, 0);
                    default -> new RowSampling(0f, 0, 1f, 0L, 0, null, 20);
                };
            }
            io.hydragen.backend.NextTokens next;
            try (KvSegment s = cuda.newSegment(ids.length)) {
                next = cuda.forwardSample(prefill(ids, s), AttentionMode.HYDRAGEN, rows);
            }
            int moved = 0;
            for (int r = 0; r < ids.length; r++) {
                int got = next.ids()[r];
                if (rows[r] == null) {
                    assertEquals(io.hydragen.backend.NextTokens.ON_HOST, got);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(logits[r], next.logits()[r], 1e-4f, "host row " + r);
                    continue;
                }
                int host = io.hydragen.backend.NextTokens.pick(logits[r], rows[r]);
                if (rows[r].greedy()) assertEquals(host, got, "greedy row " + r);
                else if (host != got) moved++;
                if (rows[r].mask() != null) assertTrue(rows[r].mask().allows(got), "row " + r + " picked masked token " + got);
                if (rows[r].wantsLogprobs()) {
                    io.hydragen.sampling.RawLogprobs want = io.hydragen.sampling.RawLogprobs.of(logits[r], got, rows[r].logprobs());
                    io.hydragen.sampling.RawLogprobs have = next.logprobs()[r];
                    org.junit.jupiter.api.Assertions.assertArrayEquals(want.topIds(), have.topIds(), "row " + r);
                    assertEquals(want.logprob(), have.logprob(), 1e-4, "row " + r);
                } else {
                    org.junit.jupiter.api.Assertions.assertNull(next.logprobs()[r]);
                }
            }
            assertTrue(moved <= 1, moved + " sampled rows differ from the host's pick");
        }
    }

    @Test
    void clearErrorsAndTheBackendSurvivesThem() {
        Path dir = SharedModels.require("tiny-llama-bpe");
        int[] ids = SharedExpectations.read(dir).get(0).inputIds().get(0);
        try (Model model = ModelLoader.load(dir.toString()); CudaBackend cuda = new CudaBackend(model, Gpu.ORDINAL)) {
            OutOfDeviceMemoryException oom = assertThrows(OutOfDeviceMemoryException.class, () -> cuda.newSegment(Integer.MAX_VALUE));
            assertTrue(oom.getMessage().contains("out of GPU memory") && oom.getMessage().contains("KV cache"), oom.getMessage());
            try (KvSegment s = cuda.newSegment(ids.length)) {
                int[] bad = ids.clone();
                bad[1] = -3;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.forward(prefill(bad, s), AttentionMode.HYDRAGEN));
                assertTrue(e.getMessage().contains("token id -3"), e.getMessage());
                float[][] l = cuda.forward(prefill(ids, s), AttentionMode.HYDRAGEN);
                assertEquals(ids.length, l.length);
                for (float[] row : l) for (float v : row) assertTrue(Float.isFinite(v));
            }
        }
    }
}
