package io.hydragen.generate;

import io.hydragen.backend.Backend;
import io.hydragen.backend.KvSegment;
import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.Segment;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The continuous scheduler's incremental plan: the segments of every running row, as a tree whose shared segments
 * carry reference counts. Rows join by {@link #graft}ing a {@link PrefixPlan} of their prompt remainders under a live
 * shared segment (or the root); a row's {@link #release} frees every segment it was the last live row of (a root
 * segment may be kept in the prefix cache). {@link #liveTokens} is the KV capacity held, for the budget.
 */
final class LiveTree {
    private final Backend backend;
    private final PrefixKvCache cache;      // null: a freed root segment is dropped
    private final int minCacheTokens;
    private final List<LiveSegment> roots = new ArrayList<>();
    private long liveTokens;
    private long reservedTokens;   // admitted but not yet allocated (per-sequence attention's private copies)

    LiveTree(Backend backend, PrefixKvCache cache, int minCacheTokens) {
        this.backend = backend;
        this.cache = cache;
        this.minCacheTokens = minCacheTokens;
    }

    /** KV slots held, plus those promised to admitted rows and not yet allocated: what the budget is checked against. */
    long liveTokens() { return liveTokens + reservedTokens; }

    void reserve(long tokens) { reservedTokens += tokens; }

    void unreserve(long tokens) { reservedTokens -= tokens; }

    boolean isEmpty() { return roots.isEmpty(); }

    /**
     * The deepest live shared segment whose path is a prefix of {@code prompt} and leaves at least one prompt token
     * after it (the row needs a last prompt token of its own to be prefilled, for its first logits); null when none.
     */
    LiveSegment match(int[] prompt) {
        LiveSegment best = null;
        List<LiveSegment> level = roots;
        while (true) {
            LiveSegment next = null;
            for (LiveSegment c : level) {
                if (!c.shared || c.end() >= prompt.length) continue;
                if (!startsWith(prompt, c.start, c.tokens)) continue;
                if (next == null || c.length() > next.length()) next = c;
            }
            if (next == null) return best;
            best = next;
            level = next.children;
        }
    }

    private static boolean startsWith(int[] prompt, int at, int[] tokens) {
        for (int i = 0; i < tokens.length; i++) if (prompt[at + i] != tokens[i]) return false;
        return true;
    }


    /**
     * Allocates the plan's segments (all or nothing) and hangs them under {@code anchor} (null: the root).
     *
     * @param rows row i of the plan; each gets its leaf, path reference counts and prompt-end segment
     * @return the new segments, parents first (to be prefilled)
     */
    List<LiveSegment> graft(PrefixPlan plan, LiveSegment anchor, List<ContinuousScheduler.Row> rows, int[] reserved) {
        Map<Segment, Integer> caps = KvSizing.capacities(plan, reserved);
        Map<Segment, LiveSegment> made = new IdentityHashMap<>();
        List<LiveSegment> out = new ArrayList<>();
        try {
            for (Segment seg : plan.segments()) {
                LiveSegment parent = seg.parent() == null ? anchor : made.get(seg.parent());
                LiveSegment live = new LiveSegment(seg.tokens(), parent, seg.shared(), caps.get(seg));
                live.kv = KvAllocator.newSegment(backend, live.capacity);
                made.put(seg, live);
                out.add(live);
            }
        } catch (RuntimeException e) {
            for (LiveSegment l : out) l.kv.close();
            throw e;
        }
        for (LiveSegment l : out) {
            liveTokens += l.capacity;
            if (l.parent == null) roots.add(l);
            else l.parent.children.add(l);
        }
        for (int i = 0; i < rows.size(); i++) {
            ContinuousScheduler.Row row = rows.get(i);
            LiveSegment leaf = made.get(plan.leaf(i));
            row.leaf = leaf;
            for (LiveSegment a = leaf; a != null; a = a.parent) a.refs++;
            (leaf.length() > 0 ? leaf : leaf.parent).promptEnds.add(row);
        }
        return out;
    }

    /** A private KV segment outside the tree (per-sequence attention's copy of a row's context), counted as live. */
    KvSegment newPrivate(int capacity) {
        KvSegment k = KvAllocator.newSegment(backend, capacity);
        liveTokens += capacity;
        return k;
    }

    void closePrivate(KvSegment k, int capacity) {
        k.close();
        liveTokens -= capacity;
    }

    /** The row left its path: every segment on it whose last live row it was is freed. */
    void release(LiveSegment leaf) {
        for (LiveSegment s = leaf; s != null; s = s.parent) {
            if (--s.refs > 0) continue;
            if (s.parent == null) roots.remove(s);
            else s.parent.children.remove(s);
            if (cache != null && s.parent == null && s.complete() && s.length() >= minCacheTokens) cache.put(s.tokens, s.kv);  // prompt slots only
            s.kv.close();
            liveTokens -= s.capacity;
        }
    }

    /** Frees everything still live (the run failed or was cancelled). */
    void closeAll() {
        List<LiveSegment> stack = new ArrayList<>(roots);
        while (!stack.isEmpty()) {
            LiveSegment s = stack.remove(stack.size() - 1);
            stack.addAll(s.children);
            s.kv.close();
            liveTokens -= s.capacity;
        }
        roots.clear();
    }
}
