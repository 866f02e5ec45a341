package io.hydragen.constrain;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;

/**
 * A constraint compiled against one vocabulary: the token-level automaton the sampler steps through.
 *
 * <p>States are those of the constraint's {@link ByteDfa}; a token moves a state along its bytes
 * ({@link #next}). {@link #allowedMask} is the set of tokens whose every byte stays inside the language from a
 * state, computed the first time the state is asked for and kept (thread-safe: computing a mask twice in a race
 * gives the same bits), so after warm-up a step costs one array read. The mask walk visits the vocabulary in
 * byte-sorted order and reuses the automaton states of the common prefix with the previous token, skipping
 * every token that shares a prefix already known to leave the language.
 *
 * <p>Tokens with no bytes (special tokens, ids past the tokenizer's vocabulary) are never allowed; end of
 * sequence is the caller's to allow where {@link #accepting} holds (see {@link LogitMask}).
 */
public final class TokenIndex {
    private final ByteDfa dfa;
    private final int[] table;
    private final Vocab vocab;
    private final byte[][] tokenBytes;
    private final int vocabSize;
    private final AtomicReferenceArray<long[]> masks;
    private final AtomicReferenceArray<int[]> words32;
    /** Per state, the number of allowed tokens, or -1 until asked (a racy write stores the same number). */
    private final int[] counts;

    /**
     * @param tokenBytes per id, the bytes it adds to the text, or null (never allowed)
     * @param vocabSize  the model's vocabulary (length of its logits); ids from tokenBytes.length up have no bytes
     */
    public TokenIndex(ByteDfa dfa, byte[][] tokenBytes, int vocabSize) { this(dfa, new Vocab(tokenBytes, vocabSize)); }

    /** With a vocabulary already sorted (shared by every constraint of a tokenizer). */
    public TokenIndex(ByteDfa dfa, Vocab vocab) {
        this.dfa = dfa;
        this.table = dfa.table();
        this.vocab = vocab;
        this.tokenBytes = vocab.tokenBytes;
        this.vocabSize = vocab.vocabSize;
        this.masks = new AtomicReferenceArray<>(dfa.stateCount());
        this.words32 = new AtomicReferenceArray<>(dfa.stateCount());
        this.counts = new int[dfa.stateCount()];
        Arrays.fill(counts, -1);
    }

    /**
     * A vocabulary prepared for mask walks: token bytes, and the ids with bytes sorted by them (unsigned,
     * lexicographic) with the common-prefix length of neighbours. Depends only on the tokenizer.
     */
    public static final class Vocab {
        final byte[][] tokenBytes;
        final int vocabSize;
        final int[] sorted;
        /** {@code lcp[i]}: length of the common prefix of tokens {@code sorted[i-1]} and {@code sorted[i]}. */
        final int[] lcp;
        /**
         * The sorted tokens' bytes end to end, token i at {@code bytes[start[i]..start[i+1])}: the walk reads memory in
         * order instead of chasing one array per token (at 128K tokens those misses cost more than the walk saves).
         */
        final byte[] bytes;
        final int[] start;
        /**
         * {@code up[i]}: the first {@code j > i} with {@code lcp[j] < lcp[i]} (n if none): every token from i to
         * j-1 shares token i-1's first {@code lcp[i]} bytes, so a walk that died within them skips them in one step.
         */
        final int[] up;
        final int maxLen;

        public Vocab(byte[][] tokenBytes, int vocabSize) {
            this.vocabSize = vocabSize;
            this.tokenBytes = Arrays.copyOf(tokenBytes, Math.min(tokenBytes.length, vocabSize));
            Integer[] ids = new Integer[this.tokenBytes.length];
            int n = 0, longest = 0;
            for (int id = 0; id < this.tokenBytes.length; id++) {
                byte[] b = this.tokenBytes[id];
                if (b != null && b.length > 0) {
                    ids[n++] = id;
                    longest = Math.max(longest, b.length);
                }
            }
            Integer[] some = Arrays.copyOf(ids, n);
            Arrays.sort(some, (x, y) -> Arrays.compareUnsigned(this.tokenBytes[x], this.tokenBytes[y]));
            sorted = new int[n];
            lcp = new int[n];
            for (int i = 0; i < n; i++) {
                sorted[i] = some[i];
                if (i > 0) {
                    int m = Arrays.mismatch(this.tokenBytes[sorted[i - 1]], this.tokenBytes[sorted[i]]);
                    lcp[i] = m < 0 ? this.tokenBytes[sorted[i]].length : m;
                }
            }
            maxLen = longest;
            start = new int[n + 1];
            for (int i = 0; i < n; i++) start[i + 1] = start[i] + this.tokenBytes[sorted[i]].length;
            bytes = new byte[start[n]];
            for (int i = 0; i < n; i++) System.arraycopy(this.tokenBytes[sorted[i]], 0, bytes, start[i], start[i + 1] - start[i]);
            up = new int[n];
            int[] open = new int[n];
            int top = 0;
            for (int j = 0; j < n; j++) {
                while (top > 0 && lcp[open[top - 1]] > lcp[j]) up[open[--top]] = j;
                open[top++] = j;
            }
            while (top > 0) up[open[--top]] = n;
        }

        public int vocabSize() { return vocabSize; }
    }

    public int initialState() { return dfa.initialState(); }

    public int vocabSize() { return vocabSize; }

    public int stateCount() { return dfa.stateCount(); }

    /** The text so far is a whole string of the constraint: end of sequence may be sampled here. */
    public boolean accepting(int state) { return dfa.accepting(state); }

    /**
     * The text is complete and nothing can follow it: generation ends here with finish reason {@code stop}.
     * (An accepting state that can go on, like after {@code "12"} for {@code \d+}, leaves the choice to EOS.)
     */
    public boolean complete(int state) { return dfa.accepting(state) && !anyAllowed(state); }

    /** No token can follow and the text is not complete: only possible when the vocabulary lacks bytes. */
    public boolean deadEnd(int state) { return !dfa.accepting(state) && !anyAllowed(state); }

    /** The state after {@code token}, or -1 when the token is not allowed in {@code state}. */
    /** The state after one more byte of text, or -1 where it leaves the language. */
    public int nextByte(int state, byte b) { return dfa.next(state, b); }

    public int next(int state, int token) {
        if (token < 0 || token >= tokenBytes.length) return -1;
        byte[] b = tokenBytes[token];
        if (b == null || b.length == 0) return -1;
        return dfa.walk(state, b);
    }

    /** The state after a sequence of tokens from the initial state, or -1. */
    public int walk(int[] tokens) {
        int s = initialState();
        for (int t : tokens) {
            s = next(s, t);
            if (s < 0) return -1;
        }
        return s;
    }

    /** Whether any token is allowed in the state. */
    public boolean anyAllowed(int state) {
        if (!dfa.hasNext(state)) return false;
        for (long w : allowedMask(state)) if (w != 0) return true;
        return false;
    }

    /**
     * The tokens allowed in {@code state}: bit {@code id % 64} of word {@code id / 64}, {@code (vocabSize + 63) / 64}
     * words. Shared: do not modify.
     */
    public long[] allowedMask(int state) {
        long[] m = masks.get(state);
        if (m == null) {
            m = computeMask(state);
            if (!masks.compareAndSet(state, null, m)) m = masks.get(state);
        }
        return m;
    }

    /**
     * The mask of {@link #allowedMask} as 32-bit words, the layout a device kernel reads (bit {@code id % 32} of word
     * {@code id / 32}, {@code (vocabSize + 31) / 32} words): what the CUDA path uploads for a row when its state
     * changes. Kept per state like the mask. Shared: do not modify.
     */
    public int[] allowedWords32(int state) {
        int[] w = words32.get(state);
        if (w == null) {
            long[] m = allowedMask(state);
            w = new int[(vocabSize + 31) / 32];
            for (int i = 0; i < w.length; i++) w[i] = (int) (m[i >>> 1] >>> ((i & 1) * 32));
            if (!words32.compareAndSet(state, null, w)) w = words32.get(state);
        }
        return w;
    }

    /**
     * Computes every state's mask now, on {@code parallelism} threads (states are independent, so they split
     * without coordination): a constraint's whole compile ahead of its first batch, as XGrammar does, instead of
     * one state at a time on the decode thread the first time a row reaches it.
     */
    public void precomputeAll(int parallelism) {
        int n = dfa.stateCount();
        if (parallelism <= 1) {
            for (int s = 0; s < n; s++) allowedMask(s);
            return;
        }
        ForkJoinPool pool = new ForkJoinPool(parallelism);
        try {
            pool.submit(() -> IntStream.range(0, n).parallel().forEach(this::allowedMask)).join();
        } finally {
            pool.shutdown();
        }
    }

    /** How many tokens {@link #allowedMask} allows in the state (EOS not counted), kept per state. */
    public int allowedCount(int state) {
        int c = counts[state];
        if (c < 0) {
            c = LogitMask.count(allowedMask(state));
            counts[state] = c;
        }
        return c;
    }

    /** How many states have their mask computed (for measurements). */
    public int masksComputed() {
        int n = 0;
        for (int i = 0; i < masks.length(); i++) if (masks.get(i) != null) n++;
        return n;
    }

    private long[] computeMask(int state) {
        long[] mask = new long[(vocabSize + 63) / 64];
        if (!dfa.hasNext(state)) return mask;
        int[] sorted = vocab.sorted, lcp = vocab.lcp, start = vocab.start, up = vocab.up;
        byte[] bytes = vocab.bytes;
        int[] stack = new int[vocab.maxLen + 1];
        stack[0] = state;
        int valid = 0;   // stack[0..valid] holds the states along the previous token's bytes
        int common = 0;  // common prefix of the previous token and this one
        int n = sorted.length;
        int i = 0;
        while (i < n) {
            int from = start[i], len = start[i + 1] - from;
            int d = Math.min(common, valid);
            int s = stack[d];
            boolean dead = false;
            while (d < len) {
                s = table[s * 256 + (bytes[from + d] & 0xff)];
                if (s < 0) { dead = true; break; }
                stack[++d] = s;
            }
            int tok = sorted[i];
            i++;
            if (!dead) {
                mask[tok >>> 6] |= 1L << (tok & 63);
                valid = len;
                common = i < n ? lcp[i] : 0;
            } else {
                valid = d; // byte d left the language: every token sharing bytes 0..d dies too
                while (i < n && lcp[i] > d) i = up[i]; // each step skips a whole subtree of the trie
                common = i < n ? lcp[i] : 0;
            }
        }
        return mask;
    }
}
