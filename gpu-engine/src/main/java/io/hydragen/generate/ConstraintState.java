package io.hydragen.generate;

import io.hydragen.constrain.ConstraintCache;
import io.hydragen.constrain.Constraint;
import io.hydragen.constrain.ConstraintException;
import io.hydragen.constrain.TokenIndex;
import io.hydragen.sampling.TokenMask;
import io.hydragen.tokenizer.TokenBytes;
import io.hydragen.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One sample's constrained decoding (issue #11), owned by its {@link Sequence} and driven by {@link StopCheck} on every
 * sampling step of both schedulers, prefill and decode alike; the recipe of {@link io.hydragen.constrain}:
 * <pre>
 * before sampling:  complete(state)  -&gt; finish stop, no token     (nothing can follow)
 *                   the sampler masks: disallowed ids -&gt; -inf; EOS only where accepting (and not ignore_eos)
 *                   ({@link #tokenMask}, applied by {@link io.hydragen.sampling.Sampler} or on the device)
 * after sampling:   EOS -&gt; stop;  state = next(state, token);  complete(state) -&gt; stop
 * </pre>
 * The compiled {@link TokenIndex} is shared by every row with the same constraint ({@link ConstraintCache#shared()}).
 * Stop strings and stop token ids end a constrained sample only where the text before the stop string (with the stop
 * token) is a whole match, so a {@code stop} completion always satisfies its constraint; elsewhere they are passed over.
 */
final class ConstraintState {
    private final TokenIndex index;
    private final int[] eos;
    private int state;
    /** Characters of the completion's text already searched for stop strings (stop strings of constrained rows only). */
    private int stopSearched;
    /** The last accepting state's mask with EOS added (accepting states are few: usually the end of the text). */
    private TokenMask eosMask;

    private ConstraintState(TokenIndex index, int[] eos) {
        this.index = index;
        this.eos = eos;
        this.state = index.initialState();
    }

    /**
     * The compiled constraint of a request (cached); checks that some text can start it.
     *
     * @throws IllegalArgumentException (a {@link ConstraintException}) when it does not compile for this tokenizer
     */
    static TokenIndex compile(Tokenizer tokenizer, int vocabSize, Constraint c) {
        TokenIndex idx;
        try {
            idx = ConstraintCache.shared().get(tokenizer, vocabSize, c);
        } catch (UnsupportedOperationException e) {
            throw new ConstraintException("constrained decoding is not available for this tokenizer: " + e.getMessage());
        } catch (StackOverflowError e) {
            throw new ConstraintException("the constraint is too deeply nested to compile");
        }
        if (idx.deadEnd(idx.initialState())) {
            throw new ConstraintException("no token of the model's vocabulary can begin a text that satisfies the constraint");
        }
        return idx;
    }

    static ConstraintState start(TokenIndex index, int[] eos) { return new ConstraintState(index, eos); }

    /** Back to the start (the sample runs again from its prompt). */
    void reset() {
        state = index.initialState();
        stopSearched = 0;
    }

    int state() { return state; }

    TokenIndex index() { return index; }

    /** The text is whole and nothing can follow it. */
    boolean complete() { return index.complete(state); }

    /** The text so far is a whole match (EOS could end it here). */
    boolean accepting() { return index.accepting(state); }

    /** No token continues the text and it is not complete (a vocabulary lacking bytes the constraint needs). */
    boolean deadEnd() { return index.deadEnd(state); }

    /**
     * The tokens allowed now: those that stay inside the constraint ({@link TokenIndex#allowedWords32}), plus EOS where
     * the text is a whole match (and not ignore_eos). Keyed by (index, state, EOS added), so a device can keep it.
     */
    TokenMask tokenMask(boolean ignoreEos) {
        boolean withEos = !ignoreEos && index.accepting(state) && eos != null && eos.length > 0;
        if (!withEos) return new TokenMask(new TokenMask.Key(index, state, false), index.allowedWords32(state));
        if (eosMask == null || eosMask.key().state() != state) {
            int[] w = index.allowedWords32(state).clone();
            for (int e : eos) if (e >= 0 && (e >>> 5) < w.length) w[e >>> 5] |= 1 << (e & 31);
            eosMask = new TokenMask(new TokenMask.Key(index, state, true), w);
        }
        return eosMask;
    }

    /** Moves along a sampled token (not EOS). */
    void advance(int token) {
        int next = index.next(state, token);
        if (next < 0) throw new IllegalStateException("token " + token + " was sampled outside the constraint's mask at state " + state);
        state = next;
    }

    /**
     * For stop strings: the completion's text before the first stop string (in text not searched before) where that
     * text is a whole match of the constraint, else null.
     */
    String cutAtStop(Tokenizer tokenizer, int[] tokens, int n, List<String> stops) {
        String text = TokenBytes.text(tokenizer, Arrays.copyOf(tokens, n));
        int maxStop = 0;
        for (String s : stops) maxStop = Math.max(maxStop, s.length());
        int from = Math.max(0, stopSearched - Math.max(0, maxStop - 1));
        String cut = null;
        int best = Integer.MAX_VALUE;
        for (String stop : stops) {
            if (stop.isEmpty()) continue;
            for (int at = text.indexOf(stop, from); at >= 0 && at < best; at = text.indexOf(stop, at + 1)) {
                String before = text.substring(0, at);
                if (wholeMatch(before)) {
                    best = at;
                    cut = before;
                    break;
                }
            }
        }
        int settled = text.length();
        while (settled > 0 && text.charAt(settled - 1) == '\uFFFD') settled--; // a partial character may still change
        stopSearched = Math.max(stopSearched, settled);
        return cut;
    }

    private boolean wholeMatch(String text) {
        int s = index.initialState();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            s = index.nextByte(s, b);
            if (s < 0) return false;
        }
        return index.accepting(s);
    }
}
