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

    /**
     * A masked copy of {@code logits} (which stay as they are, for log-probabilities), written the cheaper way: where
     * few tokens are allowed (a structural state: a quote, a digit, a key), a row of -inf with the allowed ids
     * copied in; else a copy with {@link #apply}. Either way a vectorizable pass over the row plus work in the
     * smaller of the two sets, never a test per id.
     *
     * @param allowed {@link TokenIndex#allowedCount} of the mask's state
     */
    public static float[] masked(float[] logits, long[] mask, int allowed, boolean eosAllowed, int[] eosIds) {
        int v = logits.length;
        if (allowed * 4L > v) {
            float[] out = java.util.Arrays.copyOf(logits, v);
            apply(out, mask, eosAllowed, eosIds);
            return out;
        }
        float[] out = new float[v];
        java.util.Arrays.fill(out, Float.NEGATIVE_INFINITY);
        int words = Math.min(mask.length, (v + 63) >>> 6);
        for (int w = 0; w < words; w++) {
            long on = mask[w];
            int base = w << 6;
            if (base + 64 > v) on &= (1L << (v - base)) - 1;
            while (on != 0L) {
                int i = base + Long.numberOfTrailingZeros(on);
                out[i] = logits[i];
                on &= on - 1;
            }
        }
        if (eosAllowed && eosIds != null) {
            for (int e : eosIds) if (e >= 0 && e < v) out[e] = logits[e];
        }
        return out;
    }

    /**
     * Greedy decoding under the mask without masking a copy: the allowed id (or allowed EOS) with the largest logit,
     * the lowest such id on a tie, as an argmax over the masked row picks it; -1 when nothing is allowed. Visits only
     * the allowed ids, so a structural state with a handful of allowed tokens costs a handful of reads.
     */
    public static int argmax(float[] logits, long[] mask, boolean eosAllowed, int[] eosIds) {
        int v = logits.length, best = -1;
        float top = Float.NEGATIVE_INFINITY;
        int words = Math.min(mask.length, (v + 63) >>> 6);
        for (int w = 0; w < words; w++) {
            long on = mask[w];
            int base = w << 6;
            if (base + 64 > v) on &= (1L << (v - base)) - 1;
            while (on != 0L) {
                int i = base + Long.numberOfTrailingZeros(on);
                if (best < 0 || logits[i] > top) {
                    best = i;
                    top = logits[i];
                }
                on &= on - 1;
            }
        }
        if (eosAllowed && eosIds != null) {
            for (int e : eosIds) {
                if (e < 0 || e >= v) continue;
                if (best < 0 || logits[e] > top || (logits[e] == top && e < best)) {
                    best = e;
                    top = logits[e];
                }
            }
        }
        return best;
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
