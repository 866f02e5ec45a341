package io.hydragen.backend.cuda;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.SamplingSeeds;
import io.hydragen.sampling.TokenMask;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sampling rows with masks (none, random, one token, a few, nothing allowed, shared between rows) and
 * log-probabilities (none, 0, up to 20), with greedy, temperature, top-k and top-p settings and ties: the inputs
 * EmuSamplingTest (emulated kernel) and SamplingGpuTest (the device) share, how to launch sampling.cu on them, and
 * the check against the host's rule ({@link NextTokens#pick}, {@link RawLogprobs#of}), the expected values.
 */
final class SamplingCases {
    /** Device memory of one test harness (the emulator or a GPU). */
    interface Memory {
        DeviceBuffer floats(float[] v);

        DeviceBuffer ints(int[] v);

        DeviceBuffer longs(long[] v);

        DeviceBuffer buffer(long bytes);
    }

    /** The output buffers of one launch. */
    record Launch(DeviceBuffer ids, DeviceBuffer logprobs) {}

    final int vocab, rows;
    final float[] logits;
    final RowSampling[] settings;
    final int[] maskPool, maskOffset;

    private SamplingCases(int vocab, float[] logits, RowSampling[] settings, int[] maskPool, int[] maskOffset) {
        this.vocab = vocab;
        this.rows = settings.length;
        this.logits = logits;
        this.settings = settings;
        this.maskPool = maskPool;
        this.maskOffset = maskOffset;
    }

    /** {@code rows} random rows over a vocabulary of {@code vocab}; {@code greedy}: every row temperature 0. */
    static SamplingCases random(Random rnd, int vocab, int rows, boolean greedy) {
        int words = (vocab + 31) / 32;
        float[] l = new float[rows * vocab];
        RowSampling[] rs = new RowSampling[rows];
        List<int[]> pool = new ArrayList<>();
        int[] offset = new int[rows];
        TokenMask previous = null;
        Object owner = new Object();
        for (int r = 0; r < rows; r++) {
            double sigma = 0.2 + 4 * rnd.nextDouble();
            boolean ties = rnd.nextInt(4) == 0;
            for (int i = 0; i < vocab; i++) {
                float x = (float) (rnd.nextGaussian() * sigma);
                l[r * vocab + i] = ties ? Math.round(x) : x;
            }
            TokenMask mask;
            int kind = rnd.nextInt(16);
            if (kind < 4) {
                mask = null;
            } else if (kind < 6 && previous != null) {
                mask = previous;                                    // one bitmap for two rows
            } else {
                int[] w = new int[words];
                if (kind == 6) {
                    set(w, rnd.nextInt(vocab));                    // a single allowed token
                } else if (kind < 9) {
                    for (int j = 0, n = 2 + rnd.nextInt(4); j < n; j++) set(w, rnd.nextInt(vocab));   // a few
                } else if (kind == 9) {
                    // nothing allowed
                } else {
                    double density = 0.05 + 0.9 * rnd.nextDouble();
                    for (int i = 0; i < vocab; i++) if (rnd.nextDouble() < density) set(w, i);
                    set(w, rnd.nextInt(vocab));
                }
                if (vocab % 32 != 0 && rnd.nextInt(4) == 0) w[words - 1] |= ~0 << (vocab % 32);   // stray bits past the vocabulary
                mask = new TokenMask(new TokenMask.Key(owner, pool.size(), false), w);
                pool.add(w);
            }
            offset[r] = mask == null ? -1 : mask.key().state() * words;
            previous = mask == null ? previous : mask;
            float temp = greedy || rnd.nextInt(5) == 0 ? 0f : 0.1f + 1.9f * rnd.nextFloat();
            int topK = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(vocab + 1);
            float topP = rnd.nextInt(3) == 0 ? 1f : 0.05f + 0.95f * rnd.nextFloat();
            int lp = switch (rnd.nextInt(5)) {
                case 0, 1 -> RowSampling.NO_LOGPROBS;
                case 2 -> 0;
                case 3 -> RawLogprobs.MAX_TOP;
                default -> 1 + rnd.nextInt(RawLogprobs.MAX_TOP);
            };
            rs[r] = new RowSampling(temp, topK, topP, SamplingSeeds.rowSeed(rnd.nextLong(), rnd.nextInt(8)), rnd.nextInt(1 << 16), mask, lp);
        }
        int[] flat = new int[Math.max(1, pool.size() * words)];
        for (int m = 0; m < pool.size(); m++) System.arraycopy(pool.get(m), 0, flat, m * words, words);
        return new SamplingCases(vocab, l, rs, flat, offset);
    }

    private static void set(int[] w, int id) { w[id >>> 5] |= 1 << (id & 31); }

    float[] row(int r) { return Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab); }

    /** Launches sample_rows (or argmax_rows, when every row is greedy and {@code argmaxEntry}) on these rows. */
    Launch launch(SamplingKernel k, Memory m, boolean argmaxEntry) {
        float[] temp = new float[rows], topP = new float[rows];
        int[] topK = new int[rows], steps = new int[rows], top = new int[rows];
        long[] seeds = new long[rows];
        for (int r = 0; r < rows; r++) {
            RowSampling s = settings[r];
            temp[r] = s.temperature();
            topK[r] = s.topK();
            topP[r] = s.topP();
            seeds[r] = s.seed();
            steps[r] = s.step();
            top[r] = s.logprobs();
        }
        DeviceBuffer ids = m.buffer(4L * rows), lp = m.buffer(4L * rows * SamplingKernel.LOGPROB_STRIDE);
        SamplingKernel.RowBuffers x = new SamplingKernel.RowBuffers(m.ints(maskPool), m.ints(maskOffset), m.ints(top), lp);
        if (argmaxEntry) k.argmax(m.floats(logits), vocab, rows, x, ids);
        else k.sample(m.floats(logits), vocab, rows, m.floats(temp), m.ints(topK), m.floats(topP), m.longs(seeds), m.ints(steps), x, ids);
        return new Launch(ids, lp);
    }

    /** Per-row arguments for rows without masks or log-probabilities (the plain scenarios). */
    static SamplingKernel.RowBuffers plain(Memory m, int rows) {
        int[] none = new int[rows];
        Arrays.fill(none, -1);
        return new SamplingKernel.RowBuffers(m.ints(new int[1]), m.ints(none), m.ints(none), m.buffer(4L * rows * SamplingKernel.LOGPROB_STRIDE));
    }

    /**
     * Checks the kernel's picks and log-probabilities against the host's rule and returns how many sampled picks
     * differ from the host's (a draw on a boundary may move where device and host exp round apart). Everything else
     * is exact: codes, greedy picks, that a pick is allowed by its mask, log-probability ids and ranks; log-probability
     * values within 1e-5 relative.
     */
    int check(int[] ids, float[] logprobOut, StringBuilder differ) {
        int moved = 0;
        for (int r = 0; r < rows; r++) {
            RowSampling s = settings[r];
            float[] lr = row(r);
            int host = NextTokens.pick(lr, s), got = ids[r];
            String where = "row " + r + " (" + s + ")";
            if (host < 0 || got < 0 || s.greedy()) {
                assertEquals(host, got, where);
            } else if (host != got) {
                moved++;
                if (moved <= 8) differ.append(" row ").append(r).append(": host ").append(host).append(" kernel ").append(got);
            }
            if (got >= 0 && s.mask() != null) assertTrue(s.mask().allows(got), where + ": token " + got + " is masked");
            if (got >= 0 && s.wantsLogprobs()) {
                RawLogprobs want = RawLogprobs.of(lr, got, s.logprobs());
                RawLogprobs have = SampledRows.logprobs(logprobOut, r, Math.min(s.logprobs(), vocab));
                assertEquals(want.rank(), have.rank(), where + " rank");
                assertArrayEquals(want.topIds(), have.topIds(), where + " top ids");
                close(want.logprob(), have.logprob(), where + " logprob");
                for (int j = 0; j < want.topIds().length; j++) close(want.topLogprobs()[j], have.topLogprobs()[j], where + " top " + j);
            }
        }
        return moved;
    }

    private static void close(double want, double got, String what) {
        assertTrue(Math.abs(want - got) <= 1e-5 * Math.max(Math.abs(want), 1e-4), what + ": host " + want + ", kernel " + got);
    }
}
