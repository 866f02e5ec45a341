package io.hydragen.generate;

import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.PrefixPlanner;
import io.hydragen.plan.Segment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which waiting rows the continuous scheduler admits next, and how they are planned. Preference order:
 * <ol>
 *   <li>rows whose prompt extends a live shared segment (only their remainder is allocated and prefilled);</li>
 *   <li>rows sharing a prefix with other waiting rows (one new shared segment for all of them), group by group;</li>
 *   <li>the others, first come first served.</li>
 * </ol>
 * At most the free running slots are taken, and as many of those, in order, as the KV budget has room for besides
 * what the live tree holds (a shared segment counted once; per-sequence attention adds each row's private copy).
 * When none fits: a row that cannot fit even with nothing running is rejected, else admission waits for rows to finish.
 */
final class ContinuousAdmission {
    private final LiveTree tree;
    private final PrefixPlanner planner;
    private final boolean perSequence;
    private final long budgetTokens;
    private final int maxBatch;
    private int cap;     // most rows per admission; halved after an allocation failure

    /** Rows grafted under one live anchor (null: the root), with the plan of their prompt remainders. */
    record Group(LiveSegment anchor, PrefixPlan plan, List<ContinuousScheduler.Row> rows, int[] reserved) {}

    /** Groups to graft, or a row to reject (it needs {@code rejectedTokens} slots alone). */
    record Decision(List<Group> groups, ContinuousScheduler.Row rejected, long rejectedTokens) {
        int rowCount() {
            int n = 0;
            for (Group g : groups) n += g.rows().size();
            return n;
        }
    }

    ContinuousAdmission(LiveTree tree, PrefixPlanner planner, boolean perSequence, long budgetTokens, int maxBatch) {
        this.tree = tree;
        this.planner = planner;
        this.perSequence = perSequence;
        this.budgetTokens = budgetTokens;
        this.maxBatch = maxBatch;
        this.cap = maxBatch;
    }

    long budgetTokens() { return budgetTokens; }

    void allocationFailed(int tried) { cap = Math.max(1, tried / 2); }

    void allocationSucceeded() { cap = maxBatch; }

    /** @return what to admit now, or null to admit nothing this step */
    Decision decide(Collection<ContinuousScheduler.Row> waiting, int running) {
        int free = Math.min(maxBatch - running, cap);
        if (free <= 0 || waiting.isEmpty()) return null;
        Map<ContinuousScheduler.Row, LiveSegment> anchors = new IdentityHashMap<>();
        List<ContinuousScheduler.Row> ordered = new ArrayList<>(), others = new ArrayList<>();
        for (ContinuousScheduler.Row r : waiting) {
            // a row asking for prompt log-probabilities needs the logits of its whole path, gone from a segment
            // prefilled before it came: it is planned anew (with the other waiting rows, so they still share)
            LiveSegment a = r.seq.wantsPromptLogprobs() ? null : tree.match(r.seq.prompt);
            if (a != null) {
                anchors.put(r, a);
                ordered.add(r);
            } else {
                others.add(r);
            }
        }
        ordered.addAll(groupedFirst(others));
        List<ContinuousScheduler.Row> candidates = ordered.subList(0, Math.min(free, ordered.size()));
        int k = candidates.size();
        if (budgetTokens != Long.MAX_VALUE) {
            int lo = 0, hi = k;   // the largest k whose cost fits; cost grows with k
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (tree.liveTokens() + cost(groups(candidates.subList(0, mid), anchors, ordered)) <= budgetTokens) lo = mid;
                else hi = mid - 1;
            }
            k = lo;
        }
        if (k == 0) {
            if (running > 0 || !tree.isEmpty()) return null;     // wait: finishing rows free memory
            ContinuousScheduler.Row r = candidates.get(0);
            return new Decision(List.of(), r, cost(groups(List.of(r), new IdentityHashMap<>(), List.of())));
        }
        return new Decision(groups(candidates.subList(0, k), anchors, ordered), null, 0);
    }

    /** Rows that share a prefix with another waiting row first (group by group, in order of arrival), then the rest. */
    private List<ContinuousScheduler.Row> groupedFirst(List<ContinuousScheduler.Row> rows) {
        if (rows.size() < 2) return rows;
        List<int[]> prompts = new ArrayList<>(rows.size());
        for (ContinuousScheduler.Row r : rows) prompts.add(r.seq.prompt);
        PrefixPlan plan = planner.plan(prompts);
        Map<Segment, List<ContinuousScheduler.Row>> byRoot = new LinkedHashMap<>();
        List<ContinuousScheduler.Row> singles = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Segment root = plan.leaf(i);
            while (root.parent() != null) root = root.parent();
            if (root.shared()) byRoot.computeIfAbsent(root, x -> new ArrayList<>()).add(rows.get(i));
            else singles.add(rows.get(i));
        }
        List<ContinuousScheduler.Row> out = new ArrayList<>(rows.size());
        for (List<ContinuousScheduler.Row> g : byRoot.values()) out.addAll(g);
        out.addAll(singles);
        return out;
    }

    /**
     * The rows grouped by anchor, each group's prompt remainders planned together, with the waiting rows left behind
     * under the same anchor as look-ahead: a prefix the admitted rows share with them becomes a shared segment now,
     * which they join when admitted later.
     */
    private List<Group> groups(List<ContinuousScheduler.Row> rows, Map<ContinuousScheduler.Row, LiveSegment> anchors,
                               List<ContinuousScheduler.Row> waiting) {
        Map<ContinuousScheduler.Row, Boolean> chosen = new IdentityHashMap<>();
        for (ContinuousScheduler.Row r : rows) chosen.put(r, true);
        Map<LiveSegment, List<ContinuousScheduler.Row>> later = new IdentityHashMap<>();
        List<ContinuousScheduler.Row> laterAtRoot = new ArrayList<>();
        for (ContinuousScheduler.Row r : waiting) {
            if (chosen.containsKey(r)) continue;
            LiveSegment a = anchors.get(r);
            if (a == null) laterAtRoot.add(r);
            else later.computeIfAbsent(a, x -> new ArrayList<>()).add(r);
        }
        Map<LiveSegment, List<ContinuousScheduler.Row>> byAnchor = new LinkedHashMap<>();
        List<ContinuousScheduler.Row> rootRows = new ArrayList<>();
        for (ContinuousScheduler.Row r : rows) {
            LiveSegment a = anchors.get(r);
            if (a == null) rootRows.add(r);
            else byAnchor.computeIfAbsent(a, x -> new ArrayList<>()).add(r);
        }
        List<Group> out = new ArrayList<>();
        for (Map.Entry<LiveSegment, List<ContinuousScheduler.Row>> e : byAnchor.entrySet()) {
            out.add(group(e.getKey(), e.getValue(), later.getOrDefault(e.getKey(), List.of())));
        }
        if (!rootRows.isEmpty()) out.add(group(null, rootRows, laterAtRoot));
        return out;
    }

    private Group group(LiveSegment anchor, List<ContinuousScheduler.Row> rows, List<ContinuousScheduler.Row> later) {
        int from = anchor == null ? 0 : anchor.end();
        List<int[]> remainders = new ArrayList<>(rows.size());
        int[] reserved = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            Sequence s = rows.get(i).seq;
            remainders.add(remainder(s.prompt, from));
            reserved[i] = s.reservedNewTokens;
        }
        List<int[]> lookahead = new ArrayList<>(later.size());
        for (ContinuousScheduler.Row r : later) lookahead.add(remainder(r.seq.prompt, from));
        return new Group(anchor, planner.plan(remainders, lookahead), List.copyOf(rows), reserved);
    }

    private static int[] remainder(int[] prompt, int from) {
        return from == 0 ? prompt : Arrays.copyOfRange(prompt, from, prompt.length);
    }

    /** KV slots grafting the groups adds: every new segment's capacity, plus private copies with per-sequence attention. */
    long cost(List<Group> groups) {
        long n = 0;
        for (Group g : groups) {
            for (int c : KvSizing.capacities(g.plan(), g.reserved()).values()) n += c;
            if (perSequence) for (ContinuousScheduler.Row r : g.rows()) n += KvSizing.privateCapacity(r.seq.prompt.length, r.seq.reservedNewTokens);
        }
        return n;
    }
}
