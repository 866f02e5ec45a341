package io.hydragen.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How a batch of prompts is cut into KV segments: shared prefixes found by the trie, at any depth, and one leaf
 * per sequence. Every sequence's prompt is the concatenation of the segments on its path, root first.
 */
public final class PrefixPlan {
    private final List<Segment> segments;
    private final Segment[] leaves;

    PrefixPlan(List<Segment> segments, Segment[] leaves) {
        this.segments = List.copyOf(segments);
        this.leaves = leaves;
    }

    /** All segments, parents before children. */
    public List<Segment> segments() { return segments; }

    public int sequenceCount() { return leaves.length; }

    /** The sequence's own segment (its unique prompt suffix, maybe empty). */
    public Segment leaf(int sequence) { return leaves[sequence]; }

    /** Root-first path of the sequence, ending with its leaf. */
    public List<Segment> path(int sequence) {
        List<Segment> p = new ArrayList<>(leaves[sequence].ancestors());
        p.add(leaves[sequence]);
        return p;
    }

    /** Prompt tokens of the sequence held in shared segments. */
    public int sharedTokens(int sequence) {
        int n = 0;
        for (Segment s : leaves[sequence].ancestors()) if (s.shared()) n += s.length();
        return n;
    }

    /** Prompt tokens run through the model: each segment once. */
    public long prefilledTokens() {
        long n = 0;
        for (Segment s : segments) n += s.length();
        return n;
    }

    public List<Segment> sharedSegments() {
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments) if (s.shared()) out.add(s);
        return Collections.unmodifiableList(out);
    }

    /** Depth of the deepest segment + 1. */
    public int levels() {
        int d = 0;
        for (Segment s : segments) d = Math.max(d, s.depth() + 1);
        return d;
    }
}
