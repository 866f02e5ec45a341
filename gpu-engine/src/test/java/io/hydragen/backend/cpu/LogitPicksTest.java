package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.TokenMask;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Picks read from the off-heap logits ({@link LogitPicks}) against the heap path they replace
 * ({@link NextTokens#onHost} over a {@code float[][]} copy of the same rows): the same ids, the same log-probabilities
 * and the same kept rows, over random logits (with ties, NaN and ±∞ rows), random settings (greedy, temperature,
 * top-k, top-p, seeds, steps, logprobs), random masks (some allowing nothing) and null settings. The same rows are
 * picked twice, in two different orders of vocab sizes, so a thread's reused row of another size cannot leak in.
 */
class LogitPicksTest {
    @Test
    void picksFromTheBufferEqualTheHeapPath() {
        Random r = new Random(12);
        int drawn = 0;   // rows that went through a seeded draw, not argmax: the test must reach the sampler's cuts
        try (Parallel parallel = new Parallel(3)) {
            for (int vocab : new int[] {1000, 37, 4099, 1000}) {
                for (int trial = 0; trial < 6; trial++) {
                    int k = 1 + r.nextInt(40);
                    float[][] heap = randomLogits(r, k, vocab);
                    RowSampling[] settings = new RowSampling[k];
                    for (int i = 0; i < k; i++) settings[i] = randomSettings(r, vocab);
                    try (OffHeap buffer = new OffHeap((long) k * vocab + 5)) {   // a longer buffer, as a workspace grown for a larger batch
                        for (int i = 0; i < k; i++) buffer.floats.put(i * vocab, heap[i]);
                        NextTokens fromBuffer = LogitPicks.pick(buffer, k, vocab, settings, parallel);
                        NextTokens fromHeap = NextTokens.onHost(copy(heap), settings);
                        String at = "vocab " + vocab + " trial " + trial;
                        assertArrayEquals(fromHeap.ids(), fromBuffer.ids(), at);
                        for (int i = 0; i < k; i++) if (settings[i] != null && !settings[i].greedy() && fromBuffer.ids()[i] >= 0) drawn++;
                        for (int i = 0; i < k; i++) {
                            assertLogprobsEqual(fromHeap.logprobs()[i], fromBuffer.logprobs()[i], at + " row " + i);
                            if (settings[i] == null) {
                                assertEquals(NextTokens.ON_HOST, fromBuffer.ids()[i]);
                                assertArrayEquals(heap[i], fromBuffer.logits()[i], at + " row " + i);
                            } else {
                                assertNull(fromBuffer.logits()[i]);
                            }
                        }
                    }
                }
            }
        }
        assertTrue(drawn > 20, "seeded draws: " + drawn);
    }

    @Test
    void keptRowsAreTheirOwnArrays() {
        int vocab = 50, k = 3;
        try (Parallel parallel = new Parallel(2); OffHeap buffer = new OffHeap((long) k * vocab)) {
            for (int i = 0; i < k * vocab; i++) buffer.set(i, i % 7);
            NextTokens a = LogitPicks.pick(buffer, k, vocab, new RowSampling[] {null, RowSampling.GREEDY, null}, parallel);
            NextTokens b = LogitPicks.pick(buffer, k, vocab, new RowSampling[] {null, RowSampling.GREEDY, null}, parallel);
            assertTrue(a.logits()[0] != a.logits()[2] && a.logits()[0] != b.logits()[0], "the host keeps each row it gets");
            assertEquals(5, a.ids()[1]);   // row 1 is 50..99 % 7: the first 6 is at 55, index 5 (lowest id of the ties)
            assertSame(null, a.logits()[1]);
        }
    }

    /** Records compare arrays by identity: the fields one by one. */
    private static void assertLogprobsEqual(RawLogprobs want, RawLogprobs got, String at) {
        if (want == null) { assertNull(got, at); return; }
        assertEquals(want.logprob(), got.logprob(), 0.0, at);
        assertEquals(want.rank(), got.rank(), at);
        assertArrayEquals(want.topIds(), got.topIds(), at);
        assertArrayEquals(want.topLogprobs(), got.topLogprobs(), 0.0, at);
    }

    private static float[][] randomLogits(Random r, int k, int vocab) {
        float[][] l = new float[k][vocab];
        for (int i = 0; i < k; i++) {
            boolean coarse = r.nextInt(3) == 0;   // rounded logits: many ties, at the argmax and at the top-k / top-p cuts
            for (int j = 0; j < vocab; j++) l[i][j] = coarse ? Math.round(r.nextGaussian() * 3) : (float) (r.nextGaussian() * 4);
            switch (r.nextInt(12)) {
                case 0 -> l[i][r.nextInt(vocab)] = Float.NaN;
                case 1 -> l[i][r.nextInt(vocab)] = Float.POSITIVE_INFINITY;
                case 2 -> l[i][r.nextInt(vocab)] = Float.NEGATIVE_INFINITY;
                default -> { }
            }
        }
        return l;
    }

    private static RowSampling randomSettings(Random r, int vocab) {
        if (r.nextInt(8) == 0) return null;
        float temperature = r.nextInt(4) == 0 ? 0f : 0.2f + 1.5f * r.nextFloat();
        int topK = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(Math.min(vocab, 60));
        float topP = r.nextBoolean() ? 1f : 0.05f + 0.9f * r.nextFloat();
        TokenMask mask = null;
        if (r.nextInt(3) == 0) {
            int[] words = new int[(vocab + 31) / 32];
            if (r.nextInt(6) != 0) for (int w = 0; w < words.length; w++) words[w] = r.nextInt() & r.nextInt();   // else allows nothing
            mask = new TokenMask(new TokenMask.Key(words, 0, false), words);
        }
        int logprobs = r.nextBoolean() ? RowSampling.NO_LOGPROBS : r.nextInt(RawLogprobs.MAX_TOP + 1);
        return new RowSampling(temperature, topK, topP, r.nextLong(), r.nextInt(1000), mask, logprobs);
    }

    private static float[][] copy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }
}
