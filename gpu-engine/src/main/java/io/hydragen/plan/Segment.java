package io.hydragen.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A run of prompt tokens whose KV is computed once: a shared prefix (read by every sequence below it) or a
 * sequence's own leaf (its unique suffix, possibly empty, to which its generated tokens are appended).
 */
public final class Segment {
    private final int id;
    private final int[] tokens;
    private final Segment parent;
    private final int start;
    private final boolean shared;
    private final List<Segment> children = new ArrayList<>();
    private final List<Integer> sequences = new ArrayList<>();

    Segment(int id, int[] tokens, Segment parent, boolean shared) {
        this.id = id;
        this.tokens = tokens;
        this.parent = parent;
        this.start = parent == null ? 0 : parent.end();
        this.shared = shared;
        if (parent != null) parent.children.add(this);
    }

    public int id() { return id; }

    /** Prompt tokens of this segment (generated tokens are not included). */
    public int[] tokens() { return tokens; }

    public int length() { return tokens.length; }

    public Segment parent() { return parent; }

    /** Absolute position of the first token. */
    public int start() { return start; }

    public int end() { return start + tokens.length; }

    public boolean shared() { return shared; }

    /** Depth in the segment tree: 0 for a root segment. */
    public int depth() { return parent == null ? 0 : parent.depth() + 1; }

    public List<Segment> children() { return Collections.unmodifiableList(children); }

    /** Sequences whose path goes through this segment. */
    public List<Integer> sequences() { return Collections.unmodifiableList(sequences); }

    void addSequence(int s) { sequences.add(s); }

    /** Root-first list of the segments above this one. */
    public List<Segment> ancestors() {
        List<Segment> a = new ArrayList<>();
        for (Segment p = parent; p != null; p = p.parent) a.add(0, p);
        return a;
    }
}
