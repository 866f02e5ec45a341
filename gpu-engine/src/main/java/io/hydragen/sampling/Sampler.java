package io.hydragen.sampling;

import java.util.Arrays;

/**
 * The host's token picker, computing exactly what sampling.cu computes on the device, so a seeded sample is the same
 * token on both backends wherever their logits agree (up to the last bit of exp, which the two libraries may round
 * differently).
 *
 * <p>Greedy rows (temperature 0, or top-k 1) take the argmax, the lowest id among equal maxima. Other rows, in the
 * order of vLLM's sampler and of Hugging Face's warpers (temperature, then top-k, then top-p, then the draw):
 * <ol>
 *   <li>probabilities p_i = exp((l_i − max)/T), quantised to 40-bit fixed point ({@link #fixedProbability});</li>
 *   <li>top-k keeps the tokens at or above the k-th largest logit (ties at the cut are kept, as vLLM keeps them);</li>
 *   <li>top-p keeps the smallest head, largest first, whose mass reaches ceil(topP · Z) of what top-k kept (again
 *       with ties at the cut), so at least one token stays;</li>
 *   <li>the draw: the first token in vocabulary order whose running mass exceeds floor(Z' · r / 2^64), r the 64-bit
 *       Philox4x32-10 word of counter (step, 0, 0, 0) under the row's key ({@link Philox#draw64}).</li>
 * </ol>
 * Both cuts are radix selections ({@link RadixSelect}), not sorts: O(V) per row, and the exps are computed once,
 * only for tokens that survive top-k and that can have a nonzero fixed-point mass. A row's draw depends only on its
 * seed, sample index and step, never on its batch mates.
 *
 * <p>A row with a {@link TokenMask} (structured output) is sampled as if its disallowed logits were −∞: greedy takes
 * the argmax over the allowed ids, a draw runs the steps above over the masked row, where disallowed tokens have
 * mass 0 and so are never drawn. A mask that allows nothing gives {@link #NOTHING_ALLOWED}.
 */
public final class Sampler {
    private Sampler() {}

    static final double FIXED_ONE = 0x1p40;
    /** The pick of a row whose mask allows no token (sampling.cu returns the same code). */
    public static final int NOTHING_ALLOWED = -5;
    /** exp(−28) ≈ 6.9e−13 is below 2^−40 ≈ 9.1e−13: any x below this has fixed-point mass 0, no exp needed. */
    private static final float NEGLIGIBLE = -28f;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread arrays sized to the vocabulary, so sampling a row allocates nothing. */
    private static final class Scratch {
        int[] key = new int[0], cand = new int[0], work = new int[0];
        long[] mass = new long[0];
        float[] masked = new float[0];
        final long[] hist = new long[256];
        final long[] highHist = new long[1 << 16];   // all zero between rows

        Scratch fit(int v) {
            if (key.length < v) { key = new int[v]; cand = new int[v]; work = new int[v]; mass = new long[v]; }
            return this;
        }
    }

    /** The next token of a row whose logits are all finite (under its mask, if any), or {@link #NOTHING_ALLOWED}. */
    public static int sample(float[] logits, RowSampling s) {
        TokenMask m = s.mask();
        if (m == null) return sampleUnmasked(logits, s);
        int best = argmax(logits, m);
        if (best < 0 || s.greedy()) return best;
        return sampleUnmasked(masked(logits, m), s);
    }

    /** The logits with every disallowed id at −∞, in per-thread scratch: a fill, then only the allowed ids copied. */
    private static float[] masked(float[] logits, TokenMask m) {
        Scratch w = SCRATCH.get();
        int v = logits.length;
        if (w.masked.length != v) w.masked = new float[v];
        float[] out = w.masked;
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        int[] words = m.words();
        for (int k = 0, n = Math.min(words.length, (v + 31) >>> 5); k < n; k++) {
            for (int on = words[k]; on != 0; on &= on - 1) {
                int i = (k << 5) + Integer.numberOfTrailingZeros(on);
                if (i < v) out[i] = logits[i];
            }
        }
        return out;
    }

    private static int sampleUnmasked(float[] logits, RowSampling s) {
        int best = argmax(logits);
        if (s.greedy()) return best;
        int v = logits.length;
        Scratch w = SCRATCH.get().fit(v);
        int[] key = w.key, cand = w.cand;
        long[] mass = w.mass;
        float max = logits[best];
        float invTemp = 1f / s.temperature();
        int n = v;
        if (s.topK() > 0 && s.topK() < v) {
            for (int i = 0; i < v; i++) { key[i] = orderKey(logits[i]); w.work[i] = i; }
            int floor = RadixSelect.largestKeyReaching(key, null, w.work, n, s.topK(), w.hist);
            n = 0;
            for (int i = 0; i < v; i++) if (Integer.compareUnsigned(key[i], floor) >= 0) cand[n++] = i;
        } else {
            for (int i = 0; i < v; i++) cand[i] = i;
        }
        boolean nucleus = s.topP() < 1f;
        long z = 0;
        int lowBin = 0xffff, highBin = 0;
        for (int j = 0; j < n; j++) {
            int i = cand[j];
            float l = logits[i];
            key[i] = orderKey(l);
            long m = fixedProbability(l, max, invTemp);
            mass[i] = m;
            z += m;
            if (nucleus && m != 0) {   // top-p's first radix level, summed while the masses are made
                int bin = key[i] >>> 16;
                w.highHist[bin] += m;
                lowBin = Math.min(lowBin, bin);
                highBin = Math.max(highBin, bin);
            }
        }
        if (nucleus) {
            long need = (long) Math.ceil((double) z * (double) s.topP());
            need = Math.max(1, Math.min(need, z));
            System.arraycopy(cand, 0, w.work, 0, n);
            int floor = RadixSelect.largestKeyReaching(key, mass, w.highHist, lowBin, highBin, w.work, n, need, w.hist);
            int kept = 0;
            z = 0;
            for (int j = 0; j < n; j++) {
                int i = cand[j];
                if (Integer.compareUnsigned(key[i], floor) >= 0) { cand[kept++] = i; z += mass[i]; }
            }
            n = kept;
        }
        long target = unsignedMultiplyHigh(z, Philox.draw64(s.seed(), s.step()));   // uniform in [0, z)
        long run = 0;
        for (int j = 0; j < n; j++) {
            run += mass[cand[j]];
            if (Long.compareUnsigned(run, target) > 0) return cand[j];
        }
        return best;   // unreachable while z > 0; the kernel falls back the same way
    }

    /** Largest logit; the lowest id wins a tie. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /**
     * Largest allowed logit, the lowest id among equal maxima (the argmax of the masked row), visiting only the allowed
     * ids; {@link #NOTHING_ALLOWED} when the mask allows no id of the row.
     */
    public static int argmax(float[] logits, TokenMask m) {
        int v = logits.length, best = NOTHING_ALLOWED;
        int[] words = m.words();
        for (int k = 0, n = Math.min(words.length, (v + 31) >>> 5); k < n; k++) {
            for (int on = words[k]; on != 0; on &= on - 1) {
                int i = (k << 5) + Integer.numberOfTrailingZeros(on);
                if (i < v && (best < 0 || logits[i] > logits[best])) best = i;
            }
        }
        return best;
    }

    /** Order-preserving map of a float to an unsigned 32-bit key (larger float, larger key), as sampling.cu's order_key. */
    static int orderKey(float f) {
        int b = Float.floatToRawIntBits(f);
        return b < 0 ? ~b : b | 0x80000000;
    }

    /** floor(expf((l − max)·(1/T)) · 2^40), in float arithmetic as the kernel does it. */
    static long fixedProbability(float logit, float max, float invTemp) {
        float x = (logit - max) * invTemp;
        if (!(x >= NEGLIGIBLE)) return 0L;   // also −∞ (a masked token)
        float p = (float) Math.exp(x);
        return (long) ((double) p * FIXED_ONE);
    }

    /** The high 64 bits of the unsigned 128-bit product (Math.unsignedMultiplyHigh is Java 18). */
    static long unsignedMultiplyHigh(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
    }
}
