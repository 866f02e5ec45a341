package io.hydragen.constrain;

import io.hydragen.tokenizer.TokenBytes;
import io.hydragen.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What a constraint costs against one vocabulary, measured in one run (the numbers of {@code hydragen
 * bench-constraint}): the vocabulary's preparation (once per tokenizer), the constraint's automata (once per
 * constraint), the first mask a row needs, every state's mask three ways, and a warm decode step.
 *
 * <p>Every state's mask: a per-token walk (each token's bytes through the DFA on its own, the baseline), the
 * trie walk of {@link TokenIndex} (tokens sorted by bytes, a shared prefix walked once, a dead prefix skipping every
 * token below it) on one thread, and the same on {@code threads} threads ({@link TokenIndex#precomputeAll}). Times
 * are wall-clock medians: on a shared machine only ratios within one run mean anything.
 */
public final class ConstraintBench {
    private ConstraintBench() {}

    /**
     * @param vocabMs        token bytes read and sorted for the walk (once per tokenizer, shared by constraints)
     * @param automataMs     regex, character DFA and byte DFA (once per constraint, independent of the vocabulary)
     * @param automataBricsMs the same with dk.brics' own minimization instead of {@link MinimalDfa} (before)
     * @param firstMaskMs    a fresh index's initial-state mask: what the first row waits for after the automata
     * @param allPerTokenMs  every state's mask, each token walked alone
     * @param allTrieBeforeMs every state's mask, the trie walk as it was before the contiguous byte array and subtree jumps
     * @param allTrieMs      every state's mask, trie walk, one thread
     * @param allParallelMs  every state's mask, trie walk, {@code threads} threads
     * @param stepNs         warm step: mask lookup and {@link LogitMask#masked} (a masked copy of a logits row)
     * @param stepPerTokenNs a copy of the row with the mask applied id by id (a branch per id), the baseline
     * @param copyNs         copying the logits row alone (part of both step figures)
     * @param meanAllowed    tokens allowed per state, on average over the states
     */
    public record Result(String constraint, int vocabSize, int byteStates, double vocabMs, double automataMs, double automataBricsMs, double firstMaskMs,
                         double allPerTokenMs, double allTrieBeforeMs, double allTrieMs, double allParallelMs, int threads,
                         double stepNs, double stepPerTokenNs, double copyNs, long meanAllowed) {}

    public static Result run(String name, Constraint constraint, Tokenizer tokenizer, int vocabSize, int reps, int threads) {
        double[] vocabT = new double[reps], autoT = new double[reps], bricsT = new double[reps], firstT = new double[reps];
        double[] trieT = new double[reps], parT = new double[reps];
        TokenIndex.Vocab vocab = null;
        ByteDfa dfa = null;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            vocab = new TokenIndex.Vocab(TokenBytes.table(tokenizer, vocabSize), vocabSize);
            long t1 = System.nanoTime();
            dfa = constraint.byteDfa();
            long t2 = System.nanoTime();
            TokenIndex first = new TokenIndex(dfa, vocab);
            first.allowedMask(first.initialState());
            long t3 = System.nanoTime();
            TokenIndex one = new TokenIndex(dfa, vocab);
            one.precomputeAll(1);
            long t4 = System.nanoTime();
            TokenIndex par = new TokenIndex(dfa, vocab);
            par.precomputeAll(threads);
            long t5 = System.nanoTime();
            if (!(constraint instanceof Constraint.Choice)) { // a choice builds its automaton without the regex
                RegexSyntax.Node tree = RegexSyntax.parse(constraint.regex());
                ByteDfa.fromChars(RegexSyntax.compile(tree, a -> { a.minimize(); return a; }));
            }
            long t6 = System.nanoTime();
            bricsT[r] = ms(t5, t6);
            vocabT[r] = ms(t0, t1);
            autoT[r] = ms(t1, t2);
            firstT[r] = ms(t2, t3);
            trieT[r] = ms(t3, t4);
            parT[r] = ms(t4, t5);
        }
        // the baseline is slow at 128K: once
        long p0 = System.nanoTime();
        long[][] perToken = perTokenMasks(dfa, vocab);
        double perTokenMs = ms(p0, System.nanoTime());
        double[] beforeT = new double[reps];
        for (int r = 0; r < reps; r++) {
            long b0 = System.nanoTime();
            for (int s = 0; s < dfa.stateCount(); s++) trieBefore(dfa, vocab, s);
            beforeT[r] = ms(b0, System.nanoTime());
        }
        TokenIndex index = new TokenIndex(dfa, vocab);
        index.precomputeAll(threads);
        long allowed = 0;
        for (int s = 0; s < index.stateCount(); s++) {
            if (!Arrays.equals(perToken[s], index.allowedMask(s))) throw new IllegalStateException("trie walk and per-token walk differ at state " + s);
            allowed += LogitMask.count(index.allowedMask(s));
        }
        double[] step = steps(index, tokenizer.eosTokenIds(), 20_000, reps);
        return new Result(name, vocabSize, dfa.stateCount(), median(vocabT), median(autoT), median(bricsT), median(firstT), perTokenMs, median(beforeT), median(trieT),
                median(parT), threads, step[0], step[1], step[2], allowed / index.stateCount());
    }

    /** Each state's mask with every token walked on its own from the state. */
    static long[][] perTokenMasks(ByteDfa dfa, TokenIndex.Vocab vocab) {
        long[][] out = new long[dfa.stateCount()][];
        for (int s = 0; s < out.length; s++) {
            long[] m = new long[(vocab.vocabSize + 63) / 64];
            if (dfa.hasNext(s)) {
                for (int id = 0; id < vocab.tokenBytes.length; id++) {
                    byte[] b = vocab.tokenBytes[id];
                    if (b != null && b.length > 0 && dfa.walk(s, b) >= 0) m[id >>> 6] |= 1L << (id & 63);
                }
            }
            out[s] = m;
        }
        return out;
    }

    /**
     * The trie walk of {@link TokenIndex} before it read a contiguous byte array and jumped over dead subtrees: each
     * token's own byte array, and a dead prefix skipped token by token. Kept to report the change as a ratio.
     */
    static long[] trieBefore(ByteDfa dfa, TokenIndex.Vocab vocab, int state) {
        long[] mask = new long[(vocab.vocabSize + 63) / 64];
        if (!dfa.hasNext(state)) return mask;
        int[] table = dfa.table(), sorted = vocab.sorted, lcp = vocab.lcp;
        int[] stack = new int[vocab.maxLen + 1];
        stack[0] = state;
        int valid = 0, common = 0, n = sorted.length, i = 0;
        while (i < n) {
            int tok = sorted[i];
            byte[] b = vocab.tokenBytes[tok];
            int d = Math.min(common, valid);
            int s = stack[d];
            boolean dead = false;
            while (d < b.length) {
                s = table[s * 256 + (b[d] & 0xff)];
                if (s < 0) { dead = true; break; }
                stack[++d] = s;
            }
            i++;
            if (!dead) {
                mask[tok >>> 6] |= 1L << (tok & 63);
                valid = b.length;
            } else {
                valid = d;
                while (i < n && lcp[i] > d) i++;
            }
            common = i < n ? lcp[i] : 0;
        }
        return mask;
    }

    /** The mask applied id by id: the baseline of {@link LogitMask#apply}. */
    static void applyPerToken(float[] logits, long[] mask) {
        for (int i = 0; i < logits.length; i++) if (!LogitMask.allowed(mask, i)) logits[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * Median ns per warm step {LogitMask, per-id baseline, copy alone} over random walks: from the initial state,
     * each step picks an allowed token at random and moves; back to the start where nothing follows.
     */
    private static double[] steps(TokenIndex index, int[] eos, int n, int reps) {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] row = new float[index.vocabSize()];
        for (int i = 0; i < row.length; i++) row[i] = (float) rnd.nextGaussian();
        int[] states = new int[n];
        int s = index.initialState();
        for (int i = 0; i < n; i++) {
            if (!index.anyAllowed(s)) s = index.initialState();
            states[i] = s;
            s = index.next(s, randomAllowed(index.allowedMask(s), rnd));
        }
        double[][] t = new double[3][reps];
        float sink = 0;
        for (int r = 0; r < reps; r++) {
            for (int k = 0; k < 3; k++) {
                long a = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    float[] l;
                    if (k == 0) {
                        int st = states[i];
                        l = LogitMask.masked(row, index.allowedMask(st), index.allowedCount(st), index.accepting(st), eos);
                    } else {
                        l = Arrays.copyOf(row, row.length);
                        if (k == 1) applyPerToken(l, index.allowedMask(states[i]));
                    }
                    sink += l[i % l.length];
                }
                t[k][r] = (System.nanoTime() - a) / (double) n;
            }
        }
        if (sink == 42.4242f) System.out.print("");
        return new double[] {median(t[0]), median(t[1]), median(t[2])};
    }

    private static int randomAllowed(long[] mask, SplittableRandom rnd) {
        int k = rnd.nextInt(LogitMask.count(mask));
        for (int w = 0; w < mask.length; w++) {
            int c = Long.bitCount(mask[w]);
            if (k < c) {
                long bits = mask[w];
                for (int j = 0; j < k; j++) bits &= bits - 1;
                return (w << 6) + Long.numberOfTrailingZeros(bits);
            }
            k -= c;
        }
        throw new IllegalStateException("empty mask");
    }

    private static double ms(long a, long b) { return (b - a) / 1e6; }

    private static double median(double[] x) {
        double[] y = x.clone();
        Arrays.sort(y);
        return y.length % 2 == 1 ? y[y.length / 2] : (y[y.length / 2 - 1] + y[y.length / 2]) / 2;
    }
}
