package io.hydragen.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * The prompt log-probabilities of one segment's tokens, computed once in prefill and given to every row below it.
 * Entry j is the token at absolute position {@code start + j}; it is predicted by the logits of the position before:
 * slot j - 1 of this segment, or for j = 0 the last slot of the parent segment (so a segment's last slot predicts the
 * first token of each child, a different token per child). Both schedulers keep one per segment that a row asking
 * for prompt log-probabilities goes through.
 */
final class SegmentLogprobs {
    private final int start;
    private final int[] tokens;
    private final TokenLogprob[] entries;
    /** Most alternatives any row below asks for; -1 while none asks. */
    private int k = -1;
    /** First absolute position any row below wants an entry for. */
    private int from = Integer.MAX_VALUE;

    SegmentLogprobs(int start, int[] tokens) {
        this.start = start;
        this.tokens = tokens;
        this.entries = new TokenLogprob[tokens.length];
    }

    /** A row below wants entries from absolute position {@code fromPosition} on, with {@code top} alternatives. */
    void want(int top, int fromPosition) {
        k = Math.max(k, top);
        from = Math.min(from, fromPosition);
    }

    boolean wanted() { return k >= 0; }

    /**
     * Records a row's ask in every segment of its path, making a segment's entries on the first ask through it; nothing
     * when the row asks for no prompt log-probabilities. One definition for both schedulers, which keep a segment's
     * entries in different places (a plan's segments in a map, the live tree's in a field): {@code entriesOf} reaches them.
     */
    static <S> void wantAlong(Sequence row, List<S> path, Function<S, SegmentLogprobs> entriesOf) {
        if (!row.wantsPromptLogprobs()) return;
        for (S seg : path) entriesOf.apply(seg).want(row.params.promptLogprobs(), row.promptLogprobsFrom);
    }

    /** Whether this segment's first entry needs the parent's last logits. */
    boolean needsFirst() { return k >= 0 && start >= from && tokens.length > 0; }

    /** First slot whose logits an entry of this segment (after its first) needs; the length when none. */
    int firstInnerSlot() {
        if (k < 0) return tokens.length;
        return Math.max(0, Math.min(tokens.length, from - start - 1));
    }

    /** Whether the logits at {@code slot} predict an entry of this segment (the next slot's). */
    boolean needsInner(int slot) { return slot + 1 < tokens.length && slot >= firstInnerSlot(); }

    /** Fills the entry that the logits at {@code slot} predict. */
    void fillInner(int slot, float[] logits) { entries[slot + 1] = LogSoftmax.of(logits, tokens[slot + 1], k); }

    /** Fills the first entry from the parent's last logits. */
    void fillFirst(float[] logits) { entries[0] = LogSoftmax.of(logits, tokens[0], k); }

    /**
     * A row's prompt log-probabilities from its path, root first: one entry per prompt token, null for the first
     * token and for positions before {@code fromPosition}; alternatives cut to the row's own {@code top}, so a row's
     * values never depend on what its batch mates asked for.
     */
    static List<TokenLogprob> assemble(List<SegmentLogprobs> path, int promptLength, int top, int fromPosition) {
        List<TokenLogprob> out = new ArrayList<>(Collections.nCopies(promptLength, (TokenLogprob) null));
        for (SegmentLogprobs s : path) {
            for (int j = 0; j < s.tokens.length; j++) {
                int p = s.start + j;
                if (p == 0 || p < fromPosition || p >= promptLength) continue;
                TokenLogprob e = s.entries[j];
                if (e == null) throw new IllegalStateException("prompt log-probability at position " + p + " was not computed");
                out.set(p, e.limitTop(top));
            }
        }
        return Collections.unmodifiableList(Arrays.asList(out.toArray(new TokenLogprob[0])));
    }
}
