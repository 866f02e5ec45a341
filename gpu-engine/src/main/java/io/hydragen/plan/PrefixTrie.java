package io.hydragen.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A radix tree over token sequences: each edge holds a run of tokens, and each node counts the sequences that
 * pass through it. A node reached by two or more sequences is a prefix they share.
 */
final class PrefixTrie {

    static final class Node {
        int[] label;                      // tokens on the edge into this node
        final Map<Integer, Node> children = new HashMap<>();
        final List<Integer> ending = new ArrayList<>();   // sequences whose tokens end exactly here
        int count;                        // sequences passing through or ending here
        int real;                         // of those, the ones being planned (not look-ahead context)

        Node(int[] label) { this.label = label; }

        /** Children in a fixed order (by first token), so plans do not depend on hash order. */
        List<Node> orderedChildren() {
            List<Node> c = new ArrayList<>(children.values());
            c.sort((a, b) -> Integer.compare(a.label[0], b.label[0]));
            return c;
        }
    }

    final Node root = new Node(new int[0]);

    void insert(int sequence, int[] tokens) { insert(sequence, tokens, true); }

    /** @param real false: a look-ahead sequence, counted for sharing but given no leaf */
    void insert(int sequence, int[] tokens, boolean real) {
        int r = real ? 1 : 0;
        Node node = root;
        node.count++;
        node.real += r;
        int i = 0;
        while (i < tokens.length) {
            Node child = node.children.get(tokens[i]);
            if (child == null) {
                Node leaf = new Node(Arrays.copyOfRange(tokens, i, tokens.length));
                leaf.count = 1;
                leaf.real = r;
                leaf.ending.add(sequence);
                node.children.put(tokens[i], leaf);
                return;
            }
            int common = 0;
            while (common < child.label.length && i + common < tokens.length && child.label[common] == tokens[i + common]) common++;
            if (common < child.label.length) split(node, child, common);
            child = node.children.get(tokens[i]);
            child.count++;
            child.real += r;
            i += common;
            node = child;
        }
        node.ending.add(sequence);
    }

    /** Splits {@code child}'s edge after {@code at} tokens, inserting a new node between it and {@code parent}. */
    private static void split(Node parent, Node child, int at) {
        Node mid = new Node(Arrays.copyOfRange(child.label, 0, at));
        mid.count = child.count;
        mid.real = child.real;
        child.label = Arrays.copyOfRange(child.label, at, child.label.length);
        mid.children.put(child.label[0], child);
        parent.children.put(mid.label[0], mid);
    }
}
