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

    /**
     * {@code rows} prompts in {@code groups} groups of consecutive rows (as evenly as they divide), each group with its
     * own random {@code prefixTokens}-token prefix, every row with its own random suffix.
     */
    static List<int[]> groupedPrompts(int rows, int groups, int prefixTokens, int suffixTokens, int vocabSize) {
        if (vocabSize <= FIRST_ID) throw new UsageException("vocabulary of " + vocabSize + " tokens is too small for random prompts");
        SplittableRandom rnd = new SplittableRandom(SEED);
        List<int[]> out = new ArrayList<>(rows);
        for (int g = 0; g < groups; g++) {
            int[] prefix = rnd.ints(prefixTokens, FIRST_ID, vocabSize).toArray();
            int from = (int) ((long) rows * g / groups), to = (int) ((long) rows * (g + 1) / groups);
            for (int r = from; r < to; r++) {
                int[] p = new int[prefixTokens + suffixTokens];
                System.arraycopy(prefix, 0, p, 0, prefixTokens);
                for (int i = prefixTokens; i < p.length; i++) p[i] = rnd.nextInt(FIRST_ID, vocabSize);
                out.add(p);
            }
        }
        return out;
    }

    /**
     * A seeded distribution of per-row new-token budgets: {@code uniform:LO:HI} (both included), or {@code fixed:N}
     * (every row N: the equal-length reference a varied stream is compared with at about the same total).
     */
    record NewTokensDist(int lo, int hi) {
        static NewTokensDist parse(String s) {
            String[] f = s.strip().split(":");
            boolean fixed = f.length == 2 && f[0].equals("fixed");
            if (!fixed && (f.length != 3 || !f[0].equals("uniform"))) {
                throw new UsageException("--max-new-tokens-dist must be uniform:LO:HI or fixed:N, got '" + s + "'");
            }
            int lo, hi;
            try {
                lo = Integer.parseInt(f[1]);
                hi = fixed ? lo : Integer.parseInt(f[2]);
            } catch (NumberFormatException e) {
                throw new UsageException("--max-new-tokens-dist must be uniform:LO:HI or fixed:N with whole numbers, got '" + s + "'");
            }
            if (lo < 1 || hi < lo) throw new UsageException("--max-new-tokens-dist needs 1 <= LO <= HI, got '" + s + "'");
            return new NewTokensDist(lo, hi);
        }

        int[] draw(int rows) {
            SplittableRandom rnd = new SplittableRandom(SEED + 1);
            int[] n = new int[rows];
            for (int i = 0; i < rows; i++) n[i] = rnd.nextInt(lo, hi + 1);
            return n;
        }

        @Override public String toString() { return lo == hi ? "fixed:" + lo : "uniform:" + lo + ":" + hi; }
    }
}
