package io.hydragen.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: argmax when temperature is 0, else temperature, top-k, top-p (in vLLM's
 * order) and a draw. The draw for step t of sample i is a pure function of (seed, i, t), so a sample's tokens
 * never depend on which other sequences shared its batch.
 */
public final class Sampler {
    private Sampler() {}

    public static int sample(float[] logits, SamplingParams p, int sampleIndex, int step) {
        if (p.greedy()) return argmax(logits);
        double u = uniform(p.seed(), sampleIndex, step);
        int v = logits.length;
        int keep = v;
        int[] ids;
        if (p.topK() > 0 && p.topK() < v) keep = p.topK();
        ids = topIds(logits, keep);
        double max = logits[ids[0]];
        double[] prob = new double[ids.length];
        double sum = 0;
        for (int i = 0; i < ids.length; i++) { prob[i] = Math.exp((logits[ids[i]] - max) / p.temperature()); sum += prob[i]; }
        int n = ids.length;
        if (p.topP() < 1.0) {
            double cum = 0;
            for (int i = 0; i < ids.length; i++) {
                cum += prob[i] / sum;
                if (cum >= p.topP()) { n = i + 1; break; }
            }
            sum = 0;
            for (int i = 0; i < n; i++) sum += prob[i];
        }
        double target = u * sum, acc = 0;
        int lastPossible = 0;
        for (int i = 0; i < n; i++) {
            acc += prob[i];
            if (acc > target) return ids[i];
            if (prob[i] > 0) lastPossible = i;
        }
        return ids[lastPossible]; // rounding: never an id of probability 0 (a masked one)
    }

    /** Largest logit; the lowest id wins a tie. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** The k ids with the largest logits, largest first (ties by lower id). */
    static int[] topIds(float[] logits, int k) {
        int v = logits.length;
        long[] keyed = new long[v];
        for (int i = 0; i < v; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits >= 0 ? bits : bits ^ 0x7fffffff; // order-preserving int of the float
            keyed[i] = ((long) ~sortable << 32) | i;             // ascending key = descending logit, then id
        }
        Arrays.sort(keyed);
        int[] ids = new int[k];
        for (int i = 0; i < k; i++) ids[i] = (int) keyed[i];
        return ids;
    }

    static double uniform(long seed, int sampleIndex, int step) {
        long stream = seed * 0x9E3779B97F4A7C15L + sampleIndex * 0xC2B2AE3D27D4EB4FL + step * 0x165667B19E3779F9L;
        return new SplittableRandom(stream).nextDouble();
    }
}
