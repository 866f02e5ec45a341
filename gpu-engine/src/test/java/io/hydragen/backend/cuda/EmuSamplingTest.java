package io.hydragen.backend.cuda;

import io.hydragen.sampling.SamplingSeeds;
import io.hydragen.backend.cuda.reference.SamplingReference;
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
 * emulation build, through SamplingKernel, against SamplingReference. Mirrors SamplingGpuTest, smaller.
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
        new SamplingKernel(emu).argmax(d, vocab, rows, out);
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
            k.sample(d, vocab, rows, t, kk, p, s, st, out);
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
}
