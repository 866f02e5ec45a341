package io.hydragen.backend.cuda;

import io.hydragen.sampling.SamplingSeeds;
import io.hydragen.backend.NextTokens;
import io.hydragen.backend.cuda.reference.SamplingReference;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.Sampler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sampling.cu (argmax_rows, sample_rows with Philox4x32-10, radix-select top-k/top-p) executed on the CPU by the
 * emulation build, through SamplingKernel, against SamplingReference and against the engine's host sampler
 * ({@link Sampler}), which must pick the same token for the same logits, settings, seed and step. Mirrors
 * SamplingGpuTest, smaller.
 */
class EmuSamplingTest {
    private final Random rnd = new Random(99);

    @BeforeEach
    void needCompiler() { EmuBuild.require(); }

    private float[] logits(int rows, int vocab, double sigma) {
        float[] l = new float[rows * vocab];
        for (int i = 0; i < l.length; i++) l[i] = (float) (rnd.nextGaussian() * sigma);
        return l;
    }

    private static float[] row(float[] all, int r, int vocab) { return Arrays.copyOfRange(all, r * vocab, (r + 1) * vocab); }

    /** The emulator's memory, as {@link SamplingCases} allocates it. */
    static SamplingCases.Memory memory(EmuDevice emu) {
        return new SamplingCases.Memory() {
            @Override public DeviceBuffer floats(float[] v) { return emu.floats(v, "floats"); }
            @Override public DeviceBuffer ints(int[] v) { return emu.ints(v, "ints"); }
            @Override public DeviceBuffer longs(long[] v) { return emu.longs(v, false, "longs"); }
            @Override public DeviceBuffer buffer(long bytes) { return emu.buffer(bytes, "out"); }
        };
    }

    @Test
    void argmaxIsExactIncludingTies() {
        int rows = 3, vocab = 5003;
        float[] l = logits(rows, vocab, 3);
        l[vocab + 100] = 50f;
        l[vocab + 4000] = 50f;  // tie: the lower id wins
        l[2 * vocab + vocab - 1] = 60f;
        int[] want = new int[rows];
        for (int r = 0; r < rows; r++) want[r] = SamplingReference.argmax(row(l, r, vocab));
        EmuDevice emu = new EmuDevice(4);
        DeviceBuffer d = emu.floats(l, "logits"), out = emu.buffer(4L * rows, "out");
        new SamplingKernel(emu).argmax(d, vocab, rows, SamplingCases.plain(memory(emu), rows), out);
        emu.run();
        assertArrayEquals(want, emu.readInts(out, rows));
    }

    @Test
    void samplesMatchTheCpuMirror() {
        int rows = 6, vocab = 3000, steps = 4;
        float[] l = logits(rows, vocab, 2);
        float[] temp = {0.7f, 1f, 1.3f, 0f, 0.9f, 1f};
        int[] topK = {0, 50, 0, 0, 1000, 2};
        float[] topP = {1f, 1f, 0.9f, 1f, 0.8f, 0.5f};
        long[] seeds = new long[rows];
        for (int r = 0; r < rows; r++) seeds[r] = SamplingSeeds.rowSeed(1234, r);
        EmuDevice emu = new EmuDevice(4);
        SamplingKernel k = new SamplingKernel(emu);
        DeviceBuffer d = emu.floats(l, "logits"), t = emu.floats(temp, "t"), kk = emu.ints(topK, "k"), p = emu.floats(topP, "p");
        DeviceBuffer s = emu.longs(seeds, false, "seed");
        List<DeviceBuffer> outs = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            int[] stepArr = new int[rows];
            Arrays.fill(stepArr, step);
            DeviceBuffer st = emu.ints(stepArr, "step"), out = emu.buffer(4L * rows, "out");
            k.sample(d, vocab, rows, t, kk, p, s, st, SamplingCases.plain(memory(emu), rows), out);
            outs.add(out);
        }
        emu.run();
        int agree = 0, total = 0;
        for (int step = 0; step < steps; step++) {
            int[] got = emu.readInts(outs.get(step), rows);
            for (int r = 0; r < rows; r++) {
                float[] lr = row(l, r, vocab);
                int want = SamplingReference.sample(lr, temp[r], topK[r], topP[r], seeds[r], step);
                total++;
                if (want == got[r]) agree++;
                if (temp[r] > 0) {
                    int floor = SamplingReference.threshold(lr, temp[r], topK[r], topP[r]);
                    int key = Float.floatToRawIntBits(lr[got[r]]);
                    key = key < 0 ? ~key : key | 0x80000000;
                    assertTrue(Integer.compareUnsigned(key, floor) >= 0, "row " + r + " step " + step + ": token " + got[r] + " was cut");
                } else {
                    assertEquals(SamplingReference.argmax(lr), got[r], "greedy row");
                }
            }
        }
        // the host's expf and Java's exp round alike far more often than not; a boundary draw may move
        assertTrue(agree >= total - 1, agree + " of " + total + " draws agree with the CPU mirror");
    }

    /**
     * The host sampler and the kernel over many random rows: vocabularies of 2 to 700, temperatures 0.1 to 2, top-k
     * off or 1..v+1, top-p off or 0.05..1, ties, tokens of mass 0 (−3e38, as a mask leaves them: the kernel takes raw
     * logits, where −∞ is the model's error, {@link #nonFiniteRowsGetTheirCodeAndTheOthersTheirToken}), random seeds
     * and steps.
     */
    @Test
    void hostSamplerPicksWhatTheKernelPicks() { hostAndKernelAgree(new EmuDevice(4), rnd); }

    /** The scenario of {@link #hostSamplerPicksWhatTheKernelPicks}, also run on mutated kernels ({@link EmuMutationTest}). */
    static void hostAndKernelAgree(EmuDevice emu, Random rnd) {
        SamplingKernel k = new SamplingKernel(emu);
        int[] vocabs = {2, 7, 33, 100, 257, 700};
        int rows = 40;
        List<float[]> logits = new ArrayList<>();
        List<RowSampling[]> settings = new ArrayList<>();
        List<DeviceBuffer> outs = new ArrayList<>();
        for (int vocab : vocabs) {
            float[] l = new float[rows * vocab];
            float[] temp = new float[rows], topP = new float[rows];
            int[] topK = new int[rows], steps = new int[rows];
            long[] seeds = new long[rows];
            RowSampling[] rs = new RowSampling[rows];
            for (int r = 0; r < rows; r++) {
                double sigma = 0.2 + 4 * rnd.nextDouble();
                boolean ties = rnd.nextInt(4) == 0, masked = rnd.nextInt(4) == 0;
                for (int i = 0; i < vocab; i++) {
                    float x = (float) (rnd.nextGaussian() * sigma);
                    if (ties) x = Math.round(x);
                    if (masked && i % 3 != 0) x = -3e38f;
                    l[r * vocab + i] = x;
                }
                temp[r] = rnd.nextInt(10) == 0 ? 0f : 0.1f + 1.9f * rnd.nextFloat();
                topK[r] = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(vocab + 1);
                topP[r] = rnd.nextInt(3) == 0 ? 1f : 0.05f + 0.95f * rnd.nextFloat();
                seeds[r] = SamplingSeeds.rowSeed(rnd.nextLong(), rnd.nextInt(8));
                steps[r] = rnd.nextInt(1 << 16);
                rs[r] = new RowSampling(temp[r], topK[r], topP[r], seeds[r], steps[r]);
            }
            DeviceBuffer out = emu.buffer(4L * rows, "out");
            k.sample(emu.floats(l, "logits"), vocab, rows, emu.floats(temp, "t"), emu.ints(topK, "k"), emu.floats(topP, "p"),
                    emu.longs(seeds, false, "seed"), emu.ints(steps, "step"), SamplingCases.plain(memory(emu), rows), out);
            logits.add(l);
            settings.add(rs);
            outs.add(out);
        }
        emu.run();
        int agree = 0, total = 0;
        StringBuilder differ = new StringBuilder();
        for (int c = 0; c < vocabs.length; c++) {
            int[] got = emu.readInts(outs.get(c), rows);
            for (int r = 0; r < rows; r++) {
                int host = Sampler.sample(row(logits.get(c), r, vocabs[c]), settings.get(c)[r]);
                total++;
                if (host == got[r]) agree++;
                else if (total - agree <= 8) differ.append(" v=").append(vocabs[c]).append(" row ").append(r).append(": host ").append(host).append(" kernel ").append(got[r]);
            }
        }
        // the host's expf and Java's exp round alike far more often than not; a boundary draw may move
        assertTrue(agree >= total - 1, agree + " of " + total + " agree;" + differ);
    }

    /**
     * Masks and log-probabilities ({@link SamplingCases}: random masks, one allowed token, a few, none, shared bitmaps,
     * stray bits past the vocabulary; top-k, top-p, temperature and greedy rows; 0 to 20 alternatives): the kernel
     * picks what the host's rule picks, always an allowed token, and reports the host's log-probabilities.
     */
    @Test
    void masksAndLogprobsMatchTheHostRule() { masksAndLogprobsAgree(new EmuDevice(4), rnd); }

    /** The scenario of {@link #masksAndLogprobsMatchTheHostRule}, also run on mutated kernels ({@link EmuMutationTest}). */
    static void masksAndLogprobsAgree(EmuDevice emu, Random rnd) {
        SamplingKernel k = new SamplingKernel(emu);
        SamplingCases.Memory m = memory(emu);
        List<SamplingCases> cases = new ArrayList<>();
        List<SamplingCases.Launch> launches = new ArrayList<>();
        for (int vocab : new int[] {2, 31, 64, 100, 700}) {
            SamplingCases c = SamplingCases.random(rnd, vocab, 40, false);
            cases.add(c);
            launches.add(c.launch(k, m, false));
        }
        SamplingCases greedy = SamplingCases.random(rnd, 300, 40, true);   // argmax_rows: the same masks and log-probabilities
        cases.add(greedy);
        launches.add(greedy.launch(k, m, true));
        emu.run();
        int moved = 0, total = 0;
        StringBuilder differ = new StringBuilder();
        for (int c = 0; c < cases.size(); c++) {
            SamplingCases sc = cases.get(c);
            SamplingCases.Launch l = launches.get(c);
            moved += sc.check(emu.readInts(l.ids(), sc.rows), emu.readFloats(l.logprobs(), sc.rows * SamplingKernel.LOGPROB_STRIDE), differ);
            total += sc.rows;
        }
        // the host's expf and Java's exp round alike far more often than not; a boundary draw may move
        assertTrue(moved <= 1, moved + " of " + total + " sampled picks differ from the host's;" + differ);
    }

    @Test
    void nonFiniteRowsGetTheirCodeAndTheOthersTheirToken() {
        int rows = 4, vocab = 600;
        float[] l = logits(rows, vocab, 1);
        l[0 * vocab + 5] = Float.NaN;
        l[0 * vocab + 9] = Float.POSITIVE_INFINITY;
        l[1 * vocab + 599] = Float.POSITIVE_INFINITY;
        l[1 * vocab + 1] = Float.NEGATIVE_INFINITY;
        l[2 * vocab + 300] = Float.NEGATIVE_INFINITY;
        float[] temp = {1f, 1f, 1f, 1f}, topP = {0.9f, 0.9f, 0.9f, 0.9f};
        int[] topK = {0, 0, 0, 0}, steps = {1, 1, 1, 1};
        long[] seeds = {1, 2, 3, 4};
        EmuDevice emu = new EmuDevice(4);
        SamplingKernel k = new SamplingKernel(emu);
        DeviceBuffer d = emu.floats(l, "logits"), sampled = emu.buffer(4L * rows, "sampled"), greedy = emu.buffer(4L * rows, "greedy");
        k.sample(d, vocab, rows, emu.floats(temp, "t"), emu.ints(topK, "k"), emu.floats(topP, "p"), emu.longs(seeds, false, "seed"),
                emu.ints(steps, "step"), SamplingCases.plain(memory(emu), rows), sampled);
        k.argmax(d, vocab, rows, SamplingCases.plain(memory(emu), rows), greedy);
        emu.run();
        int[] want = new int[rows];
        for (int r = 0; r < rows; r++) {
            float[] lr = row(l, r, vocab);
            int bad = NextTokens.nonFinite(lr);
            want[r] = bad != 0 ? bad : Sampler.sample(lr, new RowSampling(1f, 0, 0.9f, seeds[r], 1));
        }
        assertArrayEquals(new int[] {NextTokens.NAN, NextTokens.POSITIVE_INFINITY, NextTokens.NEGATIVE_INFINITY}, Arrays.copyOf(want, 3));
        assertArrayEquals(want, emu.readInts(sampled, rows));
        int[] wantGreedy = want.clone();
        wantGreedy[3] = Sampler.argmax(row(l, 3, vocab));
        assertArrayEquals(wantGreedy, emu.readInts(greedy, rows));
    }
}
