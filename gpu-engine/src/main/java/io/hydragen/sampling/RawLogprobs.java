package io.hydragen.sampling;

import java.util.Arrays;

/**
 * Log-probabilities of one token under the model's full distribution at its step: log-softmax of the raw logits,
 * before temperature, top-k, top-p and any mask (vLLM's semantics). The one definition of the rule; the host computes
 * it here in double precision, sampling.cu on the device (its values within float rounding of these).
 *
 * @param logprob     the token's log-probability
 * @param rank        1 + how many tokens have a larger logit (1: the argmax)
 * @param topIds      the k most likely ids, largest logit first, the lower id first among equal logits
 * @param topLogprobs their log-probabilities
 */
public record RawLogprobs(double logprob, int rank, int[] topIds, double[] topLogprobs) {
    /** The most alternatives a request may ask for, as vLLM's default {@code max_logprobs}. */
    public static final int MAX_TOP = 20;

    /** Token {@code id}'s entry with the {@code k} most likely tokens. */
    public static RawLogprobs of(float[] logits, int id, int k) {
        double lse = logSumExp(logits);
        float x = logits[id];
        int larger = 0;
        for (float v : logits) if (v > x) larger++;
        int[] top = topIds(logits, k);
        double[] lp = new double[top.length];
        for (int j = 0; j < top.length; j++) lp[j] = logits[top[j]] - lse;
        return new RawLogprobs(x - lse, larger + 1, top, lp);
    }

    /** log Σ exp(logits), shifted by the maximum so it neither overflows nor underflows. */
    public static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        if (max == Float.NEGATIVE_INFINITY) return max;
        double sum = 0;
        for (float v : logits) sum += Math.exp((double) v - max);
        return max + Math.log(sum);
    }

    /**
     * The {@code k} ids with the largest logits, largest first, the lower id first among equal logits: a partial
     * selection (insertion into a sorted run of k), O(vocab) for the small k log-probabilities ask for.
     */
    public static int[] topIds(float[] logits, int k) {
        k = Math.min(k, logits.length);
        int[] ids = new int[k];
        if (k == 0) return ids;
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (n == k && !(v > logits[ids[k - 1]])) continue;   // not above the k-th (an equal one has a larger id)
            int at = n < k ? n++ : k - 1;
            while (at > 0 && v > logits[ids[at - 1]]) { ids[at] = ids[at - 1]; at--; }
            ids[at] = i;
        }
        return ids;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawLogprobs r && Double.compare(logprob, r.logprob) == 0 && rank == r.rank
                && Arrays.equals(topIds, r.topIds) && Arrays.equals(topLogprobs, r.topLogprobs);
    }

    @Override
    public int hashCode() { return 31 * (31 * Double.hashCode(logprob) + rank) + Arrays.hashCode(topIds); }

    @Override
    public String toString() {
        return "RawLogprobs[" + logprob + ", rank " + rank + ", top " + Arrays.toString(topIds) + " " + Arrays.toString(topLogprobs) + "]";
    }
}
