package io.hydragen.backend.cuda.reference;


import io.hydragen.sampling.Philox;
import java.util.Arrays;

/**
 * sampling.cu on the CPU, step for step: argmax (first index of the largest logit); else probabilities
 * exp((l − max)/T) quantised to 40-bit fixed point, the top-k cut at the k-th largest logit (ties kept), the top-p
 * cut at the largest logit whose cumulative mass (largest first) reaches ceil(topP·Z), and the first token in
 * vocabulary order whose running mass exceeds floor(Z'·r/2^64) for the Philox draw r. Integer masses make the
 * result independent of summation order; only exp may differ from the device's expf in the last bit.
 */
public final class SamplingReference {
    private SamplingReference() {}

    static final double FIXED_ONE = 1099511627776.0;  // 2^40

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Order-preserving unsigned key of a float, as an int compared with Integer.compareUnsigned. */
    static int key(float f) {
        int b = Float.floatToRawIntBits(f);
        return b < 0 ? ~b : b | 0x80000000;
    }

    static long fixed(float logit, float max, float invTemp) {
        float p = (float) Math.exp((logit - max) * invTemp);
        return (long) ((double) p * FIXED_ONE);
    }

    /** The kept set's cut: tokens with key ≥ the returned key survive (0 = all). */
    public static int threshold(float[] logits, float temperature, int topK, float topP) {
        int v = logits.length;
        float max = logits[argmax(logits)];
        float invTemp = 1f / temperature;
        int floor = 0;
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compareUnsigned(key(logits[b]), key(logits[a])));
        if (topK > 0 && topK < v) floor = key(logits[order[topK - 1]]);
        if (topP < 1f) {
            long z = 0;
            for (int i = 0; i < v; i++) if (Integer.compareUnsigned(key(logits[i]), floor) >= 0) z += fixed(logits[i], max, invTemp);
            long need = (long) Math.ceil((double) z * (double) topP);
            need = Math.max(1, Math.min(need, z));
            long cum = 0;
            for (int j = 0; j < v; j++) {
                float l = logits[order[j]];
                if (Integer.compareUnsigned(key(l), floor) < 0) break;
                cum += fixed(l, max, invTemp);
                if (cum >= need) {
                    floor = key(l);
                    break;
                }
            }
        }
        return floor;
    }

    public static int sample(float[] logits, float temperature, int topK, float topP, long seed, int step) {
        int best = argmax(logits);
        if (!(temperature > 0f) || topK == 1) return best;
        float max = logits[best];
        float invTemp = 1f / temperature;
        int floor = threshold(logits, temperature, topK, topP);
        long total = 0;
        for (float l : logits) if (Integer.compareUnsigned(key(l), floor) >= 0) total += fixed(l, max, invTemp);
        long target = unsignedMultiplyHigh(total, Philox.draw64(seed, step));
        long run = 0;
        for (int i = 0; i < logits.length; i++) {
            if (Integer.compareUnsigned(key(logits[i]), floor) < 0) continue;
            run += fixed(logits[i], max, invTemp);
            if (Long.compareUnsigned(run, target) > 0) return i;
        }
        return best;
    }

    static long unsignedMultiplyHigh(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
    }
}
