package io.hydragen.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities from one row of raw logits: log-softmax, the rank of a token and the k most likely tokens. The one
 * place generated-token and prompt log-probabilities are computed, on the logits as the model gave them (before the
 * sampler or a constraint touch them), in double precision.
 */
public final class LogSoftmax {
    /** The most alternatives a request may ask for, as vLLM's default {@code max_logprobs}. */
    public static final int MAX_TOP = 20;

    private LogSoftmax() {}

    /** log Σ exp(logits), shifted by the maximum so it neither overflows nor underflows. */
    public static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        if (max == Float.NEGATIVE_INFINITY) return max;
        double sum = 0;
        for (float v : logits) sum += Math.exp((double) v - max);
        return max + Math.log(sum);
    }

    /** The entry of token {@code id} with the {@code k} most likely tokens at this position (token texts unset). */
    public static TokenLogprob of(float[] logits, int id, int k) {
        double lse = logSumExp(logits);
        float x = logits[id];
        int larger = 0;
        for (float v : logits) if (v > x) larger++;
        List<TopLogprob> top = new ArrayList<>(k);
        for (int t : topIds(logits, k)) top.add(new TopLogprob(t, null, logits[t] - lse));
        return new TokenLogprob(id, null, x - lse, larger + 1, top);
    }

    /**
     * The {@code k} ids with the largest logits, largest first, the lower id first among equal logits: a partial
     * selection (insertion into a sorted run of k), O(vocab) for the small k log-probabilities ask for.
     */
    static int[] topIds(float[] logits, int k) {
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
}
