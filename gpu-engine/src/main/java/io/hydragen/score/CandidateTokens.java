package io.hydragen.score;

import io.hydragen.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * The tokens of a (context, continuation) pair as lm-evaluation-harness finds them ({@code _encode_pair}): whitespace
 * at the end of the context moves to the front of the continuation, the whole text is encoded, and the
 * continuation's tokens are those after the encoding of the context. Where the context's encoding is not a prefix of
 * the whole's (a merge across the boundary), the two are encoded separately and concatenated, and that is recorded.
 *
 * @param whole the tokens of context + continuation
 * @param contextLength how many of them are the context's; the rest are the continuation's
 */
public record CandidateTokens(int[] whole, int contextLength, boolean separatelyEncoded) {

    /**
     * @param addSpecialTokens whether the context is encoded with the tokenizer's special tokens (BOS): true for a
     *                         plain prompt, false for a chat template's rendering (which holds them already)
     */
    public static CandidateTokens of(Tokenizer tokenizer, String context, String continuation, boolean addSpecialTokens) {
        int keep = context.length();
        while (keep > 0 && Character.isWhitespace(context.charAt(keep - 1))) keep--;
        String ctx = context.substring(0, keep), cont = context.substring(keep) + continuation;
        int[] contextIds = tokenizer.encode(ctx, addSpecialTokens);
        int[] whole = tokenizer.encode(ctx + cont, addSpecialTokens);
        if (whole.length > contextIds.length && Arrays.equals(contextIds, 0, contextIds.length, whole, 0, contextIds.length)) {
            return new CandidateTokens(whole, contextIds.length, false);
        }
        int[] own = tokenizer.encode(cont, false);
        int[] joined = Arrays.copyOf(contextIds, contextIds.length + own.length);
        System.arraycopy(own, 0, joined, contextIds.length, own.length);
        return new CandidateTokens(joined, contextIds.length, true);
    }

    public int continuationLength() { return whole.length - contextLength; }
}
