package io.hydragen.backend.cuda;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.PrefixPlanner;
import io.hydragen.plan.Segment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Greedy generation over any {@link Backend} the way the engine drives it (the engine's prefix planner, one prefill
 * pass per tree level, then decode steps with Hydragen or per-sequence attention blocks), without the engine's
 * backend selection, so a test can put the CUDA backend and the CPU backend side by side.
 */
final class GreedyDriver {
    private GreedyDriver() {}

    /** What the driver saw: the generated ids per prompt, and the logits of every step, per prompt. */
    record Run(List<int[]> ids, List<List<float[]>> logits) {}

    static Run greedy(Backend be, List<int[]> prompts, int newTokens, AttentionMode mode, int minShared) {
        PrefixPlan plan = new PrefixPlanner(minShared).plan(prompts);
        int n = prompts.size();
        Map<Segment, KvSegment> kv = new IdentityHashMap<>();
        List<int[]> out = new ArrayList<>();
        List<List<float[]>> logits = new ArrayList<>();
        int[] count = new int[n];
        for (int i = 0; i < n; i++) {
            out.add(new int[newTokens]);
            logits.add(new ArrayList<>());
        }
        try {
            for (Segment seg : plan.segments()) {
                boolean leaf = false;
                for (int s : seg.sequences()) leaf |= plan.leaf(s) == seg;
                kv.put(seg, be.newSegment(Math.max(1, seg.length() + (leaf ? newTokens : 0))));
            }
            Function<Integer, Segment> promptEnd = s -> plan.leaf(s).length() > 0 ? plan.leaf(s) : plan.leaf(s).parent();
            for (int level = 0; level < plan.levels(); level++) {
                List<Integer> tok = new ArrayList<>(), pos = new ArrayList<>(), slots = new ArrayList<>(), logitRows = new ArrayList<>();
                List<KvSegment> writes = new ArrayList<>();
                List<AttentionBlock> blocks = new ArrayList<>();
                Map<Segment, List<Integer>> under = new LinkedHashMap<>();
                List<Segment> ending = new ArrayList<>();
                for (Segment seg : plan.segments()) {
                    if (seg.depth() != level || seg.length() == 0) continue;
                    KvSegment k = kv.get(seg);
                    k.setLength(seg.length());
                    int first = tok.size();
                    int[] rows = new int[seg.length()], vis = new int[seg.length()];
                    for (int t = 0; t < seg.length(); t++) {
                        tok.add(seg.tokens()[t]);
                        pos.add(seg.start() + t);
                        slots.add(t);
                        writes.add(k);
                        rows[t] = first + t;
                        vis[t] = t + 1;
                    }
                    if (mode == AttentionMode.PER_SEQUENCE) {
                        List<KvSegment> path = new ArrayList<>();
                        for (Segment a : seg.ancestors()) path.add(kv.get(a));
                        path.add(k);
                        blocks.add(new AttentionBlock(path, rows, vis));
                    } else {
                        for (Segment a : seg.ancestors()) for (int r : rows) under.computeIfAbsent(a, x -> new ArrayList<>()).add(r);
                        blocks.add(new AttentionBlock(List.of(k), rows, vis));
                    }
                    boolean ends = false;
                    for (int s : seg.sequences()) ends |= promptEnd.apply(s) == seg;
                    if (ends) {
                        logitRows.add(first + seg.length() - 1);
                        ending.add(seg);
                    }
                }
                if (tok.isEmpty()) continue;
                addShared(blocks, under, kv);
                ForwardBatch b = batch(tok, pos, writes, slots, blocks, logitRows);
                float[][] l = be.forward(b, mode);
                for (int e = 0; e < ending.size(); e++) {
                    for (int s : ending.get(e).sequences()) {
                        if (promptEnd.apply(s) != ending.get(e)) continue;
                        logits.get(s).add(l[e]);
                        out.get(s)[count[s]++] = argmax(l[e]);
                    }
                }
            }
            for (int step = 1; step < newTokens; step++) {
                List<Integer> tok = new ArrayList<>(), pos = new ArrayList<>(), slots = new ArrayList<>(), rowsAll = new ArrayList<>();
                List<KvSegment> writes = new ArrayList<>();
                List<AttentionBlock> blocks = new ArrayList<>();
                Map<Segment, List<Integer>> under = new LinkedHashMap<>();
                for (int s = 0; s < n; s++) {
                    Segment leaf = plan.leaf(s);
                    KvSegment k = kv.get(leaf);
                    int slot = leaf.length() + count[s] - 1;
                    k.setLength(slot + 1);
                    int r = tok.size();
                    tok.add(out.get(s)[count[s] - 1]);
                    pos.add(prompts.get(s).length + count[s] - 1);
                    slots.add(slot);
                    writes.add(k);
                    rowsAll.add(r);
                    if (mode == AttentionMode.PER_SEQUENCE) {
                        List<KvSegment> path = new ArrayList<>();
                        for (Segment a : leaf.ancestors()) path.add(kv.get(a));
                        path.add(k);
                        blocks.add(new AttentionBlock(path, new int[] {r}, new int[] {slot + 1}));
                    } else {
                        for (Segment a : leaf.ancestors()) under.computeIfAbsent(a, x -> new ArrayList<>()).add(r);
                        blocks.add(new AttentionBlock(List.of(k), new int[] {r}, new int[] {slot + 1}));
                    }
                }
                addShared(blocks, under, kv);
                float[][] l = be.forward(batch(tok, pos, writes, slots, blocks, rowsAll), mode);
                for (int s = 0; s < n; s++) {
                    logits.get(s).add(l[s]);
                    out.get(s)[count[s]++] = argmax(l[s]);
                }
            }
        } finally {
            for (KvSegment k : kv.values()) k.close();
        }
        return new Run(out, logits);
    }

    private static void addShared(List<AttentionBlock> blocks, Map<Segment, List<Integer>> under, Map<Segment, KvSegment> kv) {
        int at = 0;
        for (Map.Entry<Segment, List<Integer>> e : under.entrySet()) {
            int[] r = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            int[] vis = new int[r.length];
            Arrays.fill(vis, e.getKey().length());
            blocks.add(at++, new AttentionBlock(List.of(kv.get(e.getKey())), r, vis));
        }
    }

    private static ForwardBatch batch(List<Integer> tok, List<Integer> pos, List<KvSegment> writes, List<Integer> slots,
                                      List<AttentionBlock> blocks, List<Integer> logitRows) {
        return new ForwardBatch(ints(tok), ints(pos), writes.toArray(new KvSegment[0]), ints(slots), blocks, ints(logitRows));
    }

    private static int[] ints(List<Integer> l) { return l.stream().mapToInt(Integer::intValue).toArray(); }

    static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return best;
    }
}
