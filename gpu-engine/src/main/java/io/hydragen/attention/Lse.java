package io.hydragen.attention;

/**
 * Exact merging of partial attention results. Attention of a query over keys A ∪ B equals
 * o = (e^{lse_A}·o_A + e^{lse_B}·o_B) / (e^{lse_A} + e^{lse_B}), with lse = log(e^{lse_A} + e^{lse_B}),
 * where lse_X is the log-sum-exp of the query's scores over X (Hydragen §3, FlashAttention's online softmax).
 */
public final class Lse {
    private Lse() {}

    /**
     * Merges partial (o, lse) into accumulator (acc, accLse[accLseIdx]), in place; o has {@code dim} values.
     * A partial with lse = -inf (no visible key) changes nothing.
     */
    public static void mergeInto(float[] acc, int accOff, float[] accLse, int accLseIdx, float[] o, int oOff, float lse, int dim) {
        if (lse == Float.NEGATIVE_INFINITY) return;
        float prev = accLse[accLseIdx];
        if (prev == Float.NEGATIVE_INFINITY) {
            System.arraycopy(o, oOff, acc, accOff, dim);
            accLse[accLseIdx] = lse;
            return;
        }
        float max = Math.max(prev, lse);
        float wPrev = (float) Math.exp(prev - max);
        float wNew = (float) Math.exp(lse - max);
        float inv = 1f / (wPrev + wNew);
        float a = wPrev * inv, b = wNew * inv;
        for (int i = 0; i < dim; i++) acc[accOff + i] = a * acc[accOff + i] + b * o[oOff + i];
        accLse[accLseIdx] = max + (float) Math.log(wPrev + wNew);
    }
}
