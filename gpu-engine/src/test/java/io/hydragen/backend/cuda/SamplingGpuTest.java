package io.hydragen.backend.cuda;

import io.hydragen.sampling.SamplingSeeds;
import io.hydragen.backend.cuda.reference.SamplingReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * argmax_rows exactly, sample_rows against its CPU mirror, and both with masks and log-probabilities against the
 * host's rule ({@link SamplingCases}, the inputs EmuSamplingTest runs on the emulator) (GPU only).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SamplingGpuTest {
    private Gpu gpu;
    private final Random rnd = new Random(99);

    @BeforeAll
    void open() { gpu = Gpu.openOrNull(); }

    @BeforeEach
    void needGpu() { Gpu.require(); }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    /** Device memory for {@link SamplingCases}, freed by {@link #free}. */
    private final java.util.List<DeviceBuffer> allocated = new java.util.ArrayList<>();

    private final SamplingCases.Memory memory = new SamplingCases.Memory() {
        @Override public DeviceBuffer floats(float[] v) { return keep(gpu.floats(v, "floats")); }
        @Override public DeviceBuffer ints(int[] v) { return keep(gpu.ints(v, "ints")); }
        @Override public DeviceBuffer longs(long[] v) {
            DeviceBuffer b = keep(gpu.buffer(8L * v.length, "longs"));
            b.upload(v);
            return b;
        }
        @Override public DeviceBuffer buffer(long bytes) { return keep(gpu.buffer(bytes, "out")); }
    };

    private DeviceBuffer keep(DeviceBuffer b) {
        allocated.add(b);
        return b;
    }

    @org.junit.jupiter.api.AfterEach
    void free() {
        for (DeviceBuffer b : allocated) b.close();
        allocated.clear();
    }

    private float[] logits(int rows, int vocab, double sigma) {
        float[] l = new float[rows * vocab];
        for (int i = 0; i < l.length; i++) l[i] = (float) (rnd.nextGaussian() * sigma);
        return l;
    }

    private static float[] row(float[] all, int r, int vocab) {
        float[] o = new float[vocab];
        System.arraycopy(all, r * vocab, o, 0, vocab);
        return o;
    }

    @Test
    void argmaxIsExactIncludingTies() {
        int rows = 7, vocab = 50257;
        float[] l = logits(rows, vocab, 3);
        l[2 * vocab + 100] = 50f;
        l[2 * vocab + 40000] = 50f;  // tie: the lower id wins
        int[] want = new int[rows];
        for (int r = 0; r < rows; r++) want[r] = SamplingReference.argmax(row(l, r, vocab));
        try (DeviceBuffer d = gpu.floats(l, "logits"); DeviceBuffer out = gpu.buffer(4L * rows, "out")) {
            new SamplingKernel(gpu.lib).argmax(d, vocab, rows, SamplingCases.plain(memory, rows), out);
            int[] got = new int[rows];
            out.download(got, 0);
            assertArrayEquals(want, got);
        }
    }

    @Test
    void samplesMatchTheCpuMirror() {
        int rows = 6, vocab = 32000, steps = 40;
        float[] l = logits(rows, vocab, 2);
        float[] temp = {0.7f, 1f, 1.3f, 0f, 0.9f, 1f};
        int[] topK = {0, 50, 0, 0, 1000, 2};
        float[] topP = {1f, 1f, 0.9f, 1f, 0.8f, 0.5f};
        long[] seeds = new long[rows];
        for (int r = 0; r < rows; r++) seeds[r] = SamplingSeeds.rowSeed(1234, r);
        int agree = 0, total = 0;
        SamplingKernel k = new SamplingKernel(gpu.lib);
        try (DeviceBuffer d = gpu.floats(l, "logits"); DeviceBuffer t = gpu.floats(temp, "t"); DeviceBuffer kk = gpu.ints(topK, "k");
             DeviceBuffer p = gpu.floats(topP, "p"); DeviceBuffer s = gpu.buffer(8L * rows, "seed"); DeviceBuffer st = gpu.buffer(4L * rows, "step");
             DeviceBuffer out = gpu.buffer(4L * rows, "out")) {
            s.upload(seeds);
            for (int step = 0; step < steps; step++) {
                int[] stepArr = new int[rows];
                java.util.Arrays.fill(stepArr, step);
                st.upload(stepArr);
                k.sample(d, vocab, rows, t, kk, p, s, st, SamplingCases.plain(memory, rows), out);
                int[] got = new int[rows];
                out.download(got, 0);
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
                        assertTrue(got[r] == SamplingReference.argmax(lr), "greedy row");
                    }
                }
            }
        }
        // expf on the device and exp on the CPU may differ in the last bit, moving a draw that lands on a boundary
        assertTrue(agree >= total * 0.97, agree + " of " + total + " draws agree with the CPU mirror");
    }

    @Test
    void masksAndLogprobsMatchTheHostRule() {
        SamplingKernel k = new SamplingKernel(gpu.lib);
        int moved = 0, total = 0;
        StringBuilder differ = new StringBuilder();
        for (int vocab : new int[] {700, 32000, 50257, 128256}) {
            for (boolean greedy : new boolean[] {false, true}) {
                SamplingCases c = SamplingCases.random(rnd, vocab, 24, greedy);
                SamplingCases.Launch l = c.launch(k, memory, greedy);
                int[] ids = new int[c.rows];
                l.ids().download(ids, 0);
                moved += c.check(ids, gpu.readFloats(l.logprobs(), c.rows * SamplingKernel.LOGPROB_STRIDE), differ);
                total += c.rows;
                free();
            }
        }
        // expf on the device and exp on the CPU may differ in the last bit, moving a draw that lands on a boundary
        assertTrue(moved <= total * 0.03, moved + " of " + total + " sampled picks differ from the host's;" + differ);
    }
}
