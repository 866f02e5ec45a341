package io.hydragen.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark's prompts as token ids, no tokenizer involved: one random prefix shared by every sequence, then a
 * random suffix of each sequence's own. Ids skip 0..2 (pad, BOS, EOS in the synthetic vocabulary) so no prompt
 * holds a special token; the seed is fixed so every mode and every run sees the same prompts.
 */
final class BenchWorkload {
    static final long SEED = 20240207L;
    static final int FIRST_ID = 3;

    private BenchWorkload() {}

    static List<int[]> prompts(int batch, int prefixTokens, int suffixTokens, int vocabSize) {
        if (vocabSize <= FIRST_ID) throw new UsageException("vocabulary of " + vocabSize + " tokens is too small for random prompts");
        SplittableRandom rnd = new SplittableRandom(SEED);
        int[] prefix = rnd.ints(prefixTokens, FIRST_ID, vocabSize).toArray();
        List<int[]> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            int[] p = new int[prefixTokens + suffixTokens];
            System.arraycopy(prefix, 0, p, 0, prefixTokens);
            for (int i = prefixTokens; i < p.length; i++) p[i] = rnd.nextInt(FIRST_ID, vocabSize);
            out.add(p);
        }
        return out;
    }
}
