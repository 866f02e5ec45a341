package io.hydragen.generate;

import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.Segment;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Admission control: cuts a list of sequences, sorted by prompt, into sub-batches whose KV cache fits a budget of
 * tokens and that hold at most {@code maxBatch} sequences each, in one pass over one plan of the whole list.
 *
 * <p>A sequence costs the slots of its leaf (its own prompt suffix plus its reserved generation slots), plus every
 * shared segment above it that the sub-batch does not hold yet (shared segments are counted once per sub-batch), plus
 * with per-sequence attention a private copy of its whole context. Counting the whole list's segments this way is an
 * upper bound of what the sub-batch's own plan allocates (a sub-batch's trie only merges nodes), so every sub-batch
 * fits. Sequences under one root segment are contiguous in the sorted list; a group that would not fit in what is
 * left of the current sub-batch but fits in an empty one starts a new sub-batch rather than being split. A sequence
 * that does not fit even alone is rejected with the tokens it needs.
 */
final class KvAdmission {
    private KvAdmission() {}

    /** @param batches indexes into the input, in order; @param rejected index → KV tokens it needs alone */
    record Packing(List<List<Integer>> batches, Map<Integer, Long> rejected) {}

    /**
     * @param plan the plan of the whole, sorted list (sequence i of the plan is element i of the list)
     * @param reserved generation slots per sequence ({@link KvSizing#reservedNewTokens})
     * @param budgetTokens KV slots a sub-batch may hold ({@link Long#MAX_VALUE}: no budget, only {@code maxBatch} counts)
     */
    static Packing pack(PrefixPlan plan, int[] promptLengths, int[] reserved, boolean perSequence, long budgetTokens, int maxBatch) {
        int n = plan.sequenceCount();
        Map<Segment, Long> groupTokens = new IdentityHashMap<>();
        for (Segment seg : plan.segments()) groupTokens.merge(root(seg), (long) seg.length(), Long::sum);
        long[] leafCost = new long[n];
        for (int i = 0; i < n; i++) {
            Segment leaf = plan.leaf(i);
            leafCost[i] = Math.max(1L, (long) leaf.length() + reserved[i]) + (perSequence ? KvSizing.privateCapacity(promptLengths[i], reserved[i]) : 0);
            groupTokens.merge(root(leaf), leafCost[i] - leaf.length(), Long::sum);
        }
        List<List<Integer>> batches = new ArrayList<>();
        Map<Integer, Long> rejected = new LinkedHashMap<>();
        List<Integer> cur = new ArrayList<>();
        Set<Segment> held = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        long used = 0;
        for (int i = 0; i < n; i++) {
            Segment leaf = plan.leaf(i);
            long alone = leafCost[i] + (long) leaf.start();   // the ancestors hold exactly the prompt's first leaf.start() tokens
            if (alone > budgetTokens) {
                rejected.put(i, alone);
                continue;
            }
            Segment root = root(leaf);
            long group = groupTokens.get(root);
            boolean newGroup = !held.contains(root) && root != leaf;
            boolean full = cur.size() >= maxBatch
                    || (newGroup && !cur.isEmpty() && used + group > budgetTokens && group <= budgetTokens)
                    || used + cost(leaf, leafCost[i], held) > budgetTokens;
            if (full) {
                batches.add(cur);
                cur = new ArrayList<>();
                held.clear();
                used = 0;
            }
            used += cost(leaf, leafCost[i], held);
            held.addAll(leaf.ancestors());
            cur.add(i);
        }
        if (!cur.isEmpty()) batches.add(cur);
        return new Packing(batches, rejected);
    }

    /** Slots sequence adds to a sub-batch already holding {@code held}: its leaf and the ancestors not held yet. */
    private static long cost(Segment leaf, long leafCost, Set<Segment> held) {
        long c = leafCost;
        for (Segment a = leaf.parent(); a != null && !held.contains(a); a = a.parent()) c += a.length();
        return c;
    }

    private static Segment root(Segment s) {
        while (s.parent() != null) s = s.parent();
        return s;
    }
}
