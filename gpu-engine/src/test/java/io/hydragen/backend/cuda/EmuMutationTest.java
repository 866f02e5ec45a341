package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.ElementwiseReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The emulated kernel tests catch real kernel bugs: each test breaks a copy of one kernel source on purpose (the
 * sources themselves are untouched), rebuilds the runner with it (only the affected families recompile) and checks
 * that a scenario of the Emu tests, which passes on the real source, now fails. The host side too: a wrapper whose
 * shared-memory size or argument list disagrees with its kernel fails the run.
 */
class EmuMutationTest {
    @BeforeEach
    void needCompiler() { EmuBuild.require(); }

    private static void caught(Object m, Executable scenario) {
        AssertionError e = assertThrows(AssertionError.class, scenario, "mutation not caught: " + m);
        assertNotNull(e.getMessage());
        String first = e.getMessage().lines().filter(l -> l.contains("ERROR") || l.contains("error") || l.contains("expected"))
                .findFirst().orElse(e.getMessage().lines().findFirst().orElse(""));
        System.out.println("[emu] caught " + m + ": " + first);
    }

    /** A causal prefill whose rows see one key too many. */
    @Test
    void maskOffByOneInTheAttentionTile() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("attention_tile.cuh", "col >= rowLimit[h]", "col > rowLimit[h]");
        caught(m, () -> prefill(new EmuDevice(132, m)));
    }

    /** The two Philox words of the draw swapped: the device's stream is no longer the host sampler's. */
    @Test
    void philoxWordsSwappedInTheSampler() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("sampling.cu", "((unsigned long long)rnd.x[1] << 32) | rnd.x[0]",
                "((unsigned long long)rnd.x[0] << 32) | rnd.x[1]");
        caught(m, () -> EmuSamplingTest.hostAndKernelAgree(new EmuDevice(4, m), new java.util.Random(99)));
    }

    /** The mask test dropped from the sampler: every token is allowed again, so constrained rows pick masked tokens. */
    @Test
    void maskTestDroppedInTheSampler() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("sampling.cu", "return (mask == nullptr || ((mask[i >> 5] >> (i & 31)) & 1u)) ? l : -INFINITY;",
                "return l;");
        caught(m, () -> EmuSamplingTest.masksAndLogprobsAgree(new EmuDevice(4, m), new java.util.Random(99)));
    }

    /** The rank of the picked token off by one (vLLM's rank is 1 for the argmax). */
    @Test
    void rankOffByOneInTheSampler() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("sampling.cu", "out[1] = __int_as_float(*count + 1);", "out[1] = __int_as_float(*count);");
        caught(m, () -> EmuSamplingTest.masksAndLogprobsAgree(new EmuDevice(4, m), new java.util.Random(99)));
    }

    /** The second 8-column B fragment of each ldmatrix.x4 taken from the wrong register. */
    @Test
    void wrongMmaFragmentRegisterInTheGemm() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("gemm.cu", "bfr[2 * nj][1] = r[1];", "bfr[2 * nj][1] = r[3];");
        caught(m, () -> gemm(new EmuDevice(132, m)));
    }

    /** The merge no longer skips partial slots with LSE = -inf (whose O is garbage: NaN in the tests). */
    @Test
    void droppedMinusInfinityTestInTheMerge() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("merge.cu", "if (l != -INFINITY) acc +=", "acc +=");
        caught(m, () -> empty(new EmuDevice(132, m)));
    }

    /** Decode writes LSE 0 instead of -inf for an empty key range: the merge then weighs in a slot that is empty. */
    @Test
    void droppedMinusInfinityForEmptyDecodeItems() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("decode_attention.cu", "(sstat[gg] + log2f(l)) * LN2 : -INFINITY", "(sstat[gg] + log2f(l)) * LN2 : 0.f");
        caught(m, () -> empty(new EmuDevice(132, m)));
    }

    /**
     * V tiles placed 16 elements further into shared memory than the host sized it (8 would still fit: the last row's
     * padding): the second V stage ends 16 bytes past the host's sharedBytes, caught as out of bounds.
     */
    @Test
    void sharedMemoryLayoutBeyondTheHostsSize() {
        EmuBuild.Mutation m = new EmuBuild.Mutation("attention_tile.cuh", "bf16* sV = sK + 2 * ATT_BN * P;", "bf16* sV = sK + 2 * ATT_BN * P + 16;");
        caught(m, () -> {
            EmuAttentionTest.World w = new EmuAttentionTest.World(new EmuDevice(132, m), new AttentionShape(4, 2, 16), 5);
            int n = 8;
            SegmentRef shared = w.segment(100, 100);  // two KV tiles: both stages are used
            int[] rows = new int[n], vis = new int[n];
            for (int i = 0; i < n; i++) { rows[i] = i; vis[i] = 100; }
            w.rows = n;
            w.block(List.of(shared), rows, vis);
            EmuAttentionTest.run(w, 132, false, "shared prefix of two KV tiles");
        });
    }

    /**
     * Decode reads V one token further: past the end of the KV segment for its last token (AddressSanitizer). 128
     * keys at D 16 (64 tokens per pass) are read by the unrolled loop only, 40 by its remainder loop only.
     */
    @Test
    void outOfBoundsReadInDecode() {
        assumeTrue(EmuBuild.sanitized(), "needs AddressSanitizer, which this compiler cannot link");
        EmuBuild.Mutation m = new EmuBuild.Mutation("decode_attention.cu", "(it[DF_VADDR]) + layerOff + kvh * hs;",
                "(it[DF_VADDR]) + layerOff + kvh * hs + D;");
        for (int keys : new int[] {128, 40}) {
            caught(m, () -> {
                EmuAttentionTest.World w = new EmuAttentionTest.World(new EmuDevice(132, m), new AttentionShape(4, 2, 16), 12);
                w.rows = 1;
                SegmentRef own = w.segment(keys, keys);
                w.block(List.of(own), new int[] {0}, new int[] {keys});
                EmuAttentionTest.run(w, 132, false, "decode to the end of a full segment of " + keys);
            });
        }
    }

    private static void prefill(EmuDevice emu) {
        EmuAttentionTest.World w = new EmuAttentionTest.World(emu, new AttentionShape(4, 2, 16), 9);
        SegmentRef a = w.segment(40, 30);
        int n = 30;
        int[] rows = new int[n], vis = new int[n];
        for (int i = 0; i < n; i++) { rows[i] = i; vis[i] = i + 1; }
        w.rows = n;
        w.block(List.of(a), rows, vis);
        EmuAttentionTest.run(w, 132, false, "causal prefill");
    }

    private static void empty(EmuDevice emu) {
        EmuAttentionTest.World w = new EmuAttentionTest.World(emu, new AttentionShape(4, 2, 16), 3);
        w.rows = 3;
        SegmentRef empty = w.segment(16, 0), some = w.segment(16, 5);
        w.block(List.of(empty), new int[] {0, 1, 2}, new int[] {0, 0, 0});
        w.block(List.of(some), new int[] {1}, new int[] {0});
        w.block(List.of(some), new int[] {2}, new int[] {5});
        EmuAttentionTest.run(w, 132, true, "empty slots");
    }

    private static void gemm(EmuDevice emu) {
        Random rnd = new Random(7);
        GemmPlan p = new GemmPlan(GemmPlan.Tile.T64x64, 37, 100, 64, 1, 64);
        int m = p.m(), n = p.n(), k = p.k();
        float[] a = Bf16.random(rnd, m * k, 1f), w = Bf16.random(rnd, n * k, 1f), c0 = new float[m * n];
        DeviceBuffer da = emu.bf16(a, "A"), dw = emu.bf16(w, "W"), dc = emu.floats(c0, "C");
        new GemmKernel(emu).launch(p, da, dw, 0, dc, n, null, false, null);
        emu.run();
        double err = Bf16.relError(emu.readFloats(dc, m * n), ElementwiseReference.gemm(a, w, null, c0, m, n, k, false));
        assertTrue(err < 1e-4, p + ": relative error " + err);
    }

    // ---- the host side: wrappers that disagree with their kernels ----------------------------------------------

    /** A kernel source that launches through {@code emu} with the shared bytes of {@code entry} replaced. */
    private static KernelSource sharedBytes(EmuDevice emu, String entry, java.util.function.IntUnaryOperator smem) {
        return new KernelSource() {
            @Override
            public Kernel kernel(String family, String e) {
                Kernel k = emu.kernel(family, e);
                return new Kernel(null, null, e) {
                    @Override
                    public void launch(int gx, int gy, int gz, int bx, int bytes, Args args) {
                        k.launch(gx, gy, gz, bx, e.equals(entry) ? smem.applyAsInt(bytes) : bytes, args);
                    }
                };
            }

            @Override
            public DeviceInfo info() { return emu.info(); }
        };
    }

    /** The host sizes the attention tile for one K/V stage (no double buffering): the second stage is out of bounds. */
    @Test
    void hostSharedBytesForOneStageOnly() {
        EmuDevice emu = new EmuDevice(132);
        AttentionShape s = new AttentionShape(4, 2, 16);
        caught("host: PrefixAttentionKernel.tileSharedBytes with (64 + 2 * 64) for (64 + 4 * 64)", () -> {
            EmuAttentionTest.World w = new EmuAttentionTest.World(emu, s, 5);
            int n = 8;
            SegmentRef shared = w.segment(100, 100);
            int[] rows = new int[n], vis = new int[n];
            for (int i = 0; i < n; i++) { rows[i] = i; vis[i] = 100; }
            w.rows = n;
            w.block(List.of(shared), rows, vis);
            EmuAttentionTest.run(w, 132, false, "shared prefix, host smem for one stage",
                    sharedBytes(emu, "prefix_attention_d16", b -> (64 + 2 * 64) * (s.headDim() + 8) * 2));
        });
    }

    /** The host forgets decode's cross-warp reduction area in its shared bytes (AddressSanitizer). */
    @Test
    void hostDecodeSharedBytesWithoutTheReductionArea() {
        assumeTrue(EmuBuild.sanitized(), "needs AddressSanitizer, which this compiler cannot link");
        EmuDevice emu = new EmuDevice(132);
        AttentionShape s = new AttentionShape(4, 2, 16);
        caught("host: DecodeAttentionKernel.sharedBytes without + 4 * 8 * d", () -> {
            EmuAttentionTest.World w = new EmuAttentionTest.World(emu, s, 12);
            w.rows = 1;
            SegmentRef own = w.segment(40, 30);
            w.block(List.of(own), new int[] {0}, new int[] {30});
            EmuAttentionTest.run(w, 132, false, "decode, host smem without sred",
                    sharedBytes(emu, "decode_attention_d16", b -> b - 4 * 4 * 8 * s.headDim()));
        });
    }

    /** An argument missing (merge without lseOut), and an int passed where the kernel takes a float. */
    @Test
    void hostArgumentListsThatDisagreeWithTheKernel() {
        EmuDevice emu = new EmuDevice(4);
        DeviceBuffer o = emu.poisoned(64, "o"), l = emu.poisoned(4, "l"), out = emu.buffer(128, "out");
        emu.kernel("merge", "merge_attention").launch(4, 1, 1, 32, 0, Kernel.args().ptr(o).ptr(l).i32(1).i32(1).i32(4).i32(16).ptr(out));
        AssertionError e = assertThrows(AssertionError.class, emu::run);
        assertTrue(e.getMessage().contains("merge_attention takes 8 parameters (ppiiiipp) but the host passes 7"), e.getMessage());

        EmuDevice emu2 = new EmuDevice(4);
        DeviceBuffer x = emu2.floats(new float[64], "x"), w = emu2.floats(new float[64], "w"), y = emu2.buffer(128, "y");
        emu2.kernel("rmsnorm", "rmsnorm").launch(1, 1, 1, 32, 0, Kernel.args().ptr(x).nullPtr().ptr(w).ptr(y).i32(1).i32(64).i32(0));
        e = assertThrows(AssertionError.class, emu2::run);
        assertTrue(e.getMessage().contains("rmsnorm parameter 6 is 'f' but the host passes 'i'"), e.getMessage());
    }
}
