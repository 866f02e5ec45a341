package io.hydragen.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds the shared prefixes of a batch of tokenized prompts. Every trie node shared by two or more sequences
 * and at least {@code minSharedTokens} long becomes a shared segment; a shorter shared node is folded into the
 * segments below it (its few tokens are recomputed per child rather than paying a level of attention for them).
 */
public final class PrefixPlanner {
    private final int minSharedTokens;

    public PrefixPlanner(int minSharedTokens) {
        if (minSharedTokens < 1) throw new IllegalArgumentException("min_shared_tokens must be >= 1, got " + minSharedTokens);
        this.minSharedTokens = minSharedTokens;
    }

    public PrefixPlan plan(List<int[]> prompts) {
        return plan(prompts, List.of());
    }

    /**
     * Plans {@code prompts} with shared segments cut as if {@code lookahead} were planned too: a prefix that one prompt
     * shares only with look-ahead prompts (rows that will come later) still becomes a shared segment, so those rows can
     * join it. Only {@code prompts} get leaves; segments no prompt passes through are left out.
     */
    public PrefixPlan plan(List<int[]> prompts, List<int[]> lookahead) {
        PrefixTrie trie = new PrefixTrie();
        for (int s = 0; s < prompts.size(); s++) trie.insert(s, prompts.get(s));
        for (int s = 0; s < lookahead.size(); s++) trie.insert(prompts.size() + s, lookahead.get(s), false);
        Builder b = new Builder(prompts);
        for (PrefixTrie.Node child : trie.root.orderedChildren()) b.visit(child, new int[0], null);
        for (int s : trie.root.ending) if (s < prompts.size()) b.leaf(s, new int[0], null); // empty prompts
        return new PrefixPlan(b.segments, b.leaves);
    }

    private final class Builder {
        final List<int[]> prompts;
        final List<Segment> segments = new ArrayList<>();
        final Segment[] leaves;

        Builder(List<int[]> prompts) {
            this.prompts = prompts;
            this.leaves = new Segment[prompts.size()];
        }

        /** @param pending tokens of folded (too short) shared ancestors, to prepend to this node's */
        void visit(PrefixTrie.Node node, int[] pending, Segment parent) {
            if (node.real == 0) return;   // look-ahead only
            int[] tokens = concat(pending, node.label);
            if (node.count == 1) {
                int s = onlySequence(node);
                int from = parent == null ? 0 : parent.end();
                leaf(s, Arrays.copyOfRange(prompts.get(s), from, prompts.get(s).length), parent);
                return;
            }
            if (tokens.length >= minSharedTokens) {
                Segment seg = new Segment(segments.size(), tokens, parent, true);
                segments.add(seg);
                for (PrefixTrie.Node c : node.orderedChildren()) visit(c, new int[0], seg);
                for (int s : node.ending) if (s < leaves.length) leaf(s, new int[0], seg);
            } else {
                for (PrefixTrie.Node c : node.orderedChildren()) visit(c, tokens, parent);
                for (int s : node.ending) if (s < leaves.length) leaf(s, tokens, parent);
            }
        }

        void leaf(int sequence, int[] tokens, Segment parent) {
            Segment leaf = new Segment(segments.size(), tokens, parent, false);
            segments.add(leaf);
            leaves[sequence] = leaf;
            for (Segment a = leaf; a != null; a = a.parent()) a.addSequence(sequence);
        }

        private int onlySequence(PrefixTrie.Node node) {
            PrefixTrie.Node n = node;
            while (n.ending.isEmpty()) n = n.children.values().iterator().next();
            return n.ending.get(0);
        }
    }

    private static int[] concat(int[] a, int[] b) {
        if (a.length == 0) return b;
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
