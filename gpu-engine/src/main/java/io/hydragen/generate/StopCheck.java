package io.hydragen.generate;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;
import io.hydragen.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * Decides after each new token whether a sample is finished, as vLLM does: EOS (unless ignore_eos), a stop token
 * id, a stop string (cut from the text), max_new_tokens, or the model's context being full. A sample whose logits
 * are not finite (NaN or infinite) ends with {@link FinishReason#ERROR}.
 *
 * <p>Stop strings are looked for incrementally, so the work per step does not grow with the completion: each
 * sample keeps the text of its tokens so far ({@link TextState}); a step decodes only a window, the last
 * {@link #CONTEXT} tokens already in the text plus the new ones, and appends what the new ones add. A new piece
 * ending in U+FFFD (a UTF-8 character split across byte tokens) is held back until it completes (at most
 * {@link #MAX_HELD} tokens). Only the new text and the {@code longest stop - 1} characters before it are searched.
 * The result is the same as decoding the whole completion every step: the stop string is cut at its first
 * occurrence in the full text, which is decoded once to confirm; should the window ever disagree with the
 * tokenizer's full decoding (a tokenizer whose text is not a concatenation of its pieces), the text is decoded whole
 * again from there on.
 */
final class StopCheck {
    /** Tokens already in the text that are decoded again with the new ones (the pieces' context: leading spaces, bytes). */
    static final int CONTEXT = 4;
    /** New tokens held back at most while their text ends in an incomplete character. */
    static final int MAX_HELD = 8;

    private final Tokenizer tokenizer;
    private final int[] eos;
    private final int contextLength;

    StopCheck(Tokenizer tokenizer, int contextLength) {
        this.tokenizer = tokenizer;
        this.eos = tokenizer.eosTokenIds();
        this.contextLength = contextLength;
    }

    /**
     * Takes row {@code i} of a {@link io.hydragen.backend.Backend#forwardSample} pass for {@code s}: the token the
     * backend picked (with its log-probabilities), or the logits it handed back because the host needs them.
     */
    void accept(Sequence s, NextTokens next, int i) {
        int id = next.ids()[i];
        if (id == NextTokens.ON_HOST) accept(s, next.logits()[i]);
        else take(s, id, next.logprobs()[i]);
    }

    /**
     * Picks the next token of {@code s} from its raw logits (step {@code s.count}) by the same rule a backend applies
     * ({@link NextTokens#pick}: mask, sampler, log-probabilities), then takes it as {@link #accept(Sequence, NextTokens, int)} does.
     */
    void accept(Sequence s, float[] logits) {
        if (s.params.maxNewTokens() == 0) { prefillOnly(s); return; }
        RowSampling rs = s.rowSampling();
        int id = NextTokens.pick(logits, rs);
        take(s, id, id >= 0 && rs.wantsLogprobs() ? RawLogprobs.of(logits, id, rs.logprobs()) : null);
    }

    /** Ends a sample with max_new_tokens 0 once its prompt is prefilled (it asked for prompt log-probabilities only). */
    void prefillOnly(Sequence s) { s.finish = FinishReason.LENGTH; }

    /**
     * Appends a picked token and checks whether {@code s} is finished: a non-finite code ends it with an error; a
     * constraint whose text is complete ends it before any token, one with no continuation with an error (whatever
     * the sampler picked from its empty mask); otherwise the constraint moves along the token.
     */
    private void take(Sequence s, int id, RawLogprobs logprobs) {
        if (id == NextTokens.NAN || id == NextTokens.POSITIVE_INFINITY || id == NextTokens.NEGATIVE_INFINITY) {
            s.finish = FinishReason.ERROR;
            s.error = "the model produced non-finite logits (" + NextTokens.describe(id) + ") at step " + s.count;
            return;
        }
        ConstraintState c = s.constraint;
        if (c != null) {
            if (c.complete()) { s.finish = FinishReason.STOP; return; }   // nothing can follow (an empty match)
            if (c.deadEnd()) {
                s.finish = FinishReason.ERROR;
                s.error = "no token of the model's vocabulary continues the constrained text at step " + s.count;
                return;
            }
        }
        if (id < 0) throw new IllegalStateException("no token picked (code " + id + ") at step " + s.count);
        s.append(id);
        s.recordLogprob(logprobs);   // of the raw logits: the unconstrained distribution
        if (c != null && !isEos(id)) c.advance(id);
        after(s);
    }

    private boolean isEos(int t) {
        for (int e : eos) if (e == t) return true;
        return false;
    }

    /** "NaN" when a logit is NaN, else "Infinity" when one is +∞, else "-Infinity" when one is −∞, else null (the device's precedence). */
    static String nonFinite(float[] logits) {
        int code = NextTokens.nonFinite(logits);
        return code == 0 ? null : NextTokens.describe(code);
    }

    void after(Sequence s) {
        int t = s.last();
        SamplingParams p = s.params;
        if (!p.ignoreEos()) for (int e : eos) if (e == t) { s.finish = FinishReason.STOP; return; }
        ConstraintState c = s.constraint;
        if (c != null) {
            // a constrained sample ends as complete, or at a stop only where the text is a whole match
            if (c.complete() || (c.accepting() && p.stopTokenIds().contains(t))) { s.finish = FinishReason.STOP; return; }
            if (!p.stop().isEmpty()) {
                String cut = c.cutAtStop(tokenizer, s.generated, s.count, p.stop());
                if (cut != null) { s.finish = FinishReason.STOP; s.text = cut; return; }
            }
            if (s.count >= p.maxNewTokens() || s.prompt.length + s.count >= contextLength) s.finish = FinishReason.LENGTH;
            return;
        }
        if (p.stopTokenIds().contains(t)) { s.finish = FinishReason.STOP; return; }
        if (!p.stop().isEmpty()) {
            if (s.stopText == null) s.stopText = new TextState();
            String cut = s.stopText.step(tokenizer, s.generated, s.count, p.stop());
            if (cut != null) { s.finish = FinishReason.STOP; s.text = cut; return; }
        }
        if (s.count >= p.maxNewTokens() || s.prompt.length + s.count >= contextLength) s.finish = FinishReason.LENGTH;
    }

    /** The completion's text when any stop string occurs in it: the text before the first occurrence; else null. */
    static String cutAtStop(String text, java.util.List<String> stops) {
        int first = firstStop(text, 0, stops);
        return first < 0 ? null : text.substring(0, first);
    }

    private static int firstStop(String text, int from, java.util.List<String> stops) {
        int first = -1;
        for (String stop : stops) {
            int at = stop.isEmpty() ? -1 : text.indexOf(stop, from);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** One sample's decoded text so far, for stop strings; see the class comment. */
    static final class TextState {
        private final StringBuilder text = new StringBuilder(); // decode(tokens[0, read))
        private int read;                                       // tokens whose text is in `text`
        private int baseFrom = -1, baseTo = -1;                  // cached decode(tokens[baseFrom, baseTo))
        private String base = "";

        /**
         * Takes tokens[0, n) (the new ones from {@code read} on) and returns the text before the first stop string
         * when one now occurs, else null.
         */
        String step(Tokenizer tok, int[] tokens, int n, java.util.List<String> stops) {
            int maxStop = 0;
            for (String s : stops) maxStop = Math.max(maxStop, s.length());
            int from = Math.max(0, read - CONTEXT);
            if (baseFrom != from || baseTo != read) {
                base = tok.decode(Arrays.copyOfRange(tokens, from, read));
                baseFrom = from;
                baseTo = read;
            }
            String now = tok.decode(Arrays.copyOfRange(tokens, from, n));
            if (!now.startsWith(base)) return resync(tok, tokens, n, stops);
            String tail = now.substring(base.length());
            int searchFrom = Math.max(0, text.length() - Math.max(0, maxStop - 1));
            String window = text.substring(searchFrom) + tail;
            int hit = firstStop(window, 0, stops);
            if (hit >= 0) {
                // confirm on the whole text, as the old per-step full decoding saw it
                String full = tok.decode(Arrays.copyOf(tokens, n));
                String cut = cutAtStop(full, stops);
                if (cut != null) return cut;
                return resync(tok, tokens, n, stops);
            }
            if ((!tail.isEmpty() && !tail.endsWith("\uFFFD")) || n - read >= MAX_HELD) {
                text.append(tail);
                read = n;
            }
            return null;
        }

        /** Decodes everything again (the window disagreed with the whole), and looks for stops in all of it. */
        private String resync(Tokenizer tok, int[] tokens, int n, java.util.List<String> stops) {
            String full = tok.decode(Arrays.copyOf(tokens, n));
            text.setLength(0);
            text.append(full);
            read = n;
            return cutAtStop(full, stops);
        }

        int tokensRead() { return read; }

        String text() { return text.toString(); }
    }
}
