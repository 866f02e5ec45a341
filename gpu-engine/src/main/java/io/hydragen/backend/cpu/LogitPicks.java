package io.hydragen.backend.cpu;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;

/**
 * The CPU backend's token picks, read straight from its off-heap logits [k × vocab]: the rule of
 * {@link NextTokens#onHost} (a row with settings gets {@link NextTokens#pick} and, if asked, its log-probabilities; a row
 * with null settings keeps its logits), without first copying every row to a heap {@code float[][]}. A sampled row is
 * read into its thread's reused array (one bulk copy of a row that then stays in cache for the pick), so a step
 * allocates nothing of vocabulary size except the arrays of rows the host keeps.
 */
final class LogitPicks {
    private LogitPicks() {}

    /** One vocabulary-sized row per thread, reused by every pick the thread makes. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    static NextTokens pick(OffHeap logits, int k, int vocab, RowSampling[] sampling, Parallel parallel) {
        if (sampling.length != k) throw new IllegalArgumentException(sampling.length + " sampling rows for " + k + " logit rows");
        int[] ids = new int[k];
        float[][] kept = new float[k][];
        RawLogprobs[] logprobs = new RawLogprobs[k];
        parallel.forEach(k, i -> {
            RowSampling s = sampling[i];
            if (s == null) {
                ids[i] = NextTokens.ON_HOST;
                kept[i] = row(logits, i, vocab, new float[vocab]);
                return;
            }
            float[] row = row(logits, i, vocab, reused(vocab));
            ids[i] = NextTokens.pick(row, s);
            if (ids[i] >= 0 && s.wantsLogprobs()) logprobs[i] = RawLogprobs.of(row, ids[i], s.logprobs());
        });
        return new NextTokens(ids, kept, logprobs);
    }

    /** Row i copied into dst; an absolute bulk read, so threads may read rows at once. */
    static float[] row(OffHeap logits, int i, int vocab, float[] dst) {
        logits.floats.get(i * vocab, dst, 0, vocab);
        return dst;
    }

    private static float[] reused(int vocab) {
        float[][] holder = ROW.get();
        if (holder[0].length != vocab) holder[0] = new float[vocab];
        return holder[0];
    }
}
