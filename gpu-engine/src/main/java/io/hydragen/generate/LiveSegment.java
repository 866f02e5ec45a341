package io.hydragen.generate;

import io.hydragen.backend.KvSegment;

import java.util.ArrayList;
import java.util.List;

/**
 * A segment of the continuous scheduler's live tree: a run of prompt tokens whose KV is held once, either shared
 * (prompt tokens only, read by every row below it; new rows whose prompts extend it may join) or a row's leaf (its
 * own prompt suffix, to which its generated tokens are appended; never shared). Counts the live rows below it.
 */
final class LiveSegment {
    final int[] tokens;
    final LiveSegment parent;
    final int start;
    final boolean shared;
    final int capacity;
    KvSegment kv;
    /** Prompt tokens whose KV is written (prefill progress); equals {@code tokens.length} once complete. */
    int filled;
    /** Live rows whose path goes through this segment. */
    int refs;
    final List<LiveSegment> children = new ArrayList<>();
    /** Rows whose last prompt token is in this segment: they take their first token from its last prefill row. */
    final List<ContinuousScheduler.Row> promptEnds = new ArrayList<>();
    /** Prompt log-probabilities of this segment's tokens, when a row below asks for them; else null. */
    SegmentLogprobs logprobs;

    LiveSegment(int[] tokens, LiveSegment parent, boolean shared, int capacity) {
        this.tokens = tokens;
        this.parent = parent;
        this.start = parent == null ? 0 : parent.end();
        this.shared = shared;
        this.capacity = capacity;
    }

    int length() { return tokens.length; }

    int end() { return start + tokens.length; }

    boolean complete() { return filled == tokens.length; }

    /** The slots whose logits prompt log-probabilities need (this segment's entries, its children's first). */
    PromptLogitSlots logitSlots() {
        List<SegmentLogprobs> below = new ArrayList<>(children.size());
        for (LiveSegment c : children) below.add(c.logprobs);
        return new PromptLogitSlots(tokens.length, logprobs, below);
    }

    /** Its path's prompt log-probabilities, root first (this segment last). */
    List<SegmentLogprobs> logprobsPath() {
        List<SegmentLogprobs> path = new ArrayList<>();
        for (LiveSegment x = this; x != null; x = x.parent) path.add(0, x.logprobs);
        return path;
    }

    /** Its prompt log-probabilities, made on the first ask of a row below. */
    SegmentLogprobs askedLogprobs() {
        if (logprobs == null) logprobs = new SegmentLogprobs(start, tokens);
        return logprobs;
    }

    /** Root-first segments from the root down to this one. */
    List<LiveSegment> path() {
        List<LiveSegment> a = ancestors();
        a.add(this);
        return a;
    }

    /** Root-first segments above this one. */
    List<LiveSegment> ancestors() {
        List<LiveSegment> a = new ArrayList<>();
        for (LiveSegment p = parent; p != null; p = p.parent) a.add(0, p);
        return a;
    }
}
