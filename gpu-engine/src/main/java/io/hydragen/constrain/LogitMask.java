package io.hydragen.constrain;

/**
 * Applies a {@link TokenIndex} mask to one row of logits before temperature, top-k and top-p: disallowed ids get
 * {@code -Infinity}, so greedy and sampled picks both land on an allowed token (a top-k over them keeps at most
 * the allowed ones, a softmax gives the others probability 0).
 */
public final class LogitMask {
    private LogitMask() {}

    /**
     * @param mask       {@link TokenIndex#allowedMask}; ids past its end count as disallowed
     * @param eosAllowed {@link TokenIndex#accepting} of the current state: end of sequence only where the text is complete
     * @param eosIds     the tokenizer's EOS ids (kept when allowed, else masked like the rest)
     */
    public static void apply(float[] logits, long[] mask, boolean eosAllowed, int[] eosIds) {
        float[] eos = null;
        if (eosAllowed && eosIds != null) {
            eos = new float[eosIds.length];
            for (int i = 0; i < eosIds.length; i++) if (eosIds[i] >= 0 && eosIds[i] < logits.length) eos[i] = logits[eosIds[i]];
        }
        int v = logits.length;
        int words = (v + 63) >>> 6;
        for (int w = 0; w < words; w++) {
            long bits = w < mask.length ? mask[w] : 0L;
            if (bits == -1L) continue;                       // 64 allowed: nothing to write
            int base = w << 6;
            if (bits == 0L) {                                // 64 disallowed: one vectorizable fill
                java.util.Arrays.fill(logits, base, Math.min(v, base + 64), Float.NEGATIVE_INFINITY);
                continue;
            }
            // visit only the disallowed ids of a mixed word, lowest bit first: no per-id test
            long off = ~bits;
            if (base + 64 > v) off &= (1L << (v - base)) - 1;
            while (off != 0L) {
                logits[base + Long.numberOfTrailingZeros(off)] = Float.NEGATIVE_INFINITY;
                off &= off - 1;
            }
        }
        if (eos != null) {
            for (int i = 0; i < eosIds.length; i++) if (eosIds[i] >= 0 && eosIds[i] < logits.length) logits[eosIds[i]] = eos[i];
        }
    }

    /** Whether token {@code id} is in the mask. */
    public static boolean allowed(long[] mask, int id) {
        return id >= 0 && (id >>> 6) < mask.length && (mask[id >>> 6] & (1L << (id & 63))) != 0;
    }

    /** Number of allowed tokens. */
    public static int count(long[] mask) {
        int n = 0;
        for (long w : mask) n += Long.bitCount(w);
        return n;
    }
}
