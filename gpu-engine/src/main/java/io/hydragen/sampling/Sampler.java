package io.hydragen.sampling;

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
 * seed, sample index and step, never on its batch mates. Constrained rows are masked (−∞) before they get here, so
 * masked tokens have mass 0 and are never drawn.
 */
public final class Sampler {
    private Sampler() {}

    static final double FIXED_ONE = 0x1p40;
    /** exp(−28) ≈ 6.9e−13 is below 2^−40 ≈ 9.1e−13: any x below this has fixed-point mass 0, no exp needed. */
    private static final float NEGLIGIBLE = -28f;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread arrays sized to the vocabulary, so sampling a row allocates nothing. */
    private static final class Scratch {
        int[] key = new int[0], cand = new int[0], work = new int[0];
        long[] mass = new long[0];
        final long[] hist = new long[256];
        final long[] highHist = new long[1 << 16];   // all zero between rows

        Scratch fit(int v) {
            if (key.length < v) { key = new int[v]; cand = new int[v]; work = new int[v]; mass = new long[v]; }
            return this;
        }
    }

    /** The next token of a row whose logits are all finite (or −∞ where masked, with at least one finite). */
    public static int sample(float[] logits, RowSampling s) {
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
