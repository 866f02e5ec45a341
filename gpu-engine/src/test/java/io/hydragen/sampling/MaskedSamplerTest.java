package io.hydragen.sampling;

import io.hydragen.constrain.LogitMask;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sampler's mask ({@link TokenMask}, the bitmap the device reads) picks what constrained decoding picked before it
 * moved into the sampler: greedy as {@link LogitMask#argmax} over the allowed ids, a draw as the unmasked sampler over
 * {@link LogitMask#masked}'s copy (EOS added where accepting), for random masks, settings, seeds and ties.
 */
class MaskedSamplerTest {
    private static int[] words32(long[] mask, int vocab, int[] eos, boolean eosAllowed) {
        int[] w = new int[(vocab + 31) / 32];
        for (int i = 0; i < w.length; i++) w[i] = (int) (mask[i >>> 1] >>> ((i & 1) * 32));
        if (eosAllowed) for (int e : eos) w[e >>> 5] |= 1 << (e & 31);
        return w;
    }

    @Test
    void theMaskInTheSamplerPicksWhatTheMaskedCopyPicked() {
        Random rnd = new Random(5);
        int checked = 0;
        for (int trial = 0; trial < 3000; trial++) {
            int v = 2 + rnd.nextInt(300);
            float[] logits = new float[v];
            boolean ties = rnd.nextInt(3) == 0;
            for (int i = 0; i < v; i++) logits[i] = ties ? Math.round(rnd.nextGaussian() * 2) : (float) (rnd.nextGaussian() * 3);
            long[] mask = new long[(v + 63) / 64];
            double density = rnd.nextInt(4) == 0 ? 0.01 : rnd.nextDouble();
            for (int i = 0; i < v; i++) if (rnd.nextDouble() < density) mask[i >>> 6] |= 1L << (i & 63);
            int[] eos = {rnd.nextInt(v)};
            boolean eosAllowed = rnd.nextBoolean();
            if (LogitMask.count(mask) == 0 && !eosAllowed) continue;   // a dead end: the engine stops before sampling
            float temp = rnd.nextInt(4) == 0 ? 0f : 0.2f + 1.5f * rnd.nextFloat();
            int topK = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(v);
            float topP = rnd.nextInt(3) == 0 ? 1f : 0.1f + 0.9f * rnd.nextFloat();
            RowSampling plain = new RowSampling(temp, topK, topP, rnd.nextLong(), rnd.nextInt(1000));
            TokenMask tm = new TokenMask(new TokenMask.Key(this, trial, eosAllowed), words32(mask, v, eos, eosAllowed));
            RowSampling masked = new RowSampling(temp, topK, topP, plain.seed(), plain.step(), tm, RowSampling.NO_LOGPROBS);
            int before = plain.greedy() ? LogitMask.argmax(logits, mask, eosAllowed, eos)
                    : Sampler.sample(LogitMask.masked(logits, mask, LogitMask.count(mask), eosAllowed, eos), plain);
            int now = Sampler.sample(logits, masked);
            assertEquals(before, now, "trial " + trial);
            assertTrue(tm.allows(now));
            checked++;
        }
        assertTrue(checked > 2500, checked + " rows checked");
    }

    @Test
    void aMaskThatAllowsNothingGivesItsCode() {
        float[] logits = {1f, 2f, 3f};
        TokenMask none = new TokenMask(new TokenMask.Key(this, 0, false), new int[] {0b11000});   // bits past the vocabulary only
        assertEquals(Sampler.NOTHING_ALLOWED, Sampler.sample(logits, new RowSampling(0f, 0, 1f, 1L, 0, none, RowSampling.NO_LOGPROBS)));
        assertEquals(Sampler.NOTHING_ALLOWED, Sampler.sample(logits, new RowSampling(1f, 0, 0.9f, 1L, 0, none, RowSampling.NO_LOGPROBS)));
        TokenMask one = new TokenMask(new TokenMask.Key(this, 1, false), new int[] {0b001});
        assertEquals(0, Sampler.sample(logits, new RowSampling(1f, 0, 0.9f, 1L, 0, one, RowSampling.NO_LOGPROBS)), "the one allowed, though least likely");
    }
}
