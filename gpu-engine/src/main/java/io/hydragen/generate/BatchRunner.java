package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RowSampling;
import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.PrefixPlanner;
import io.hydragen.plan.Segment;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates one batch: plans the shared prefixes, prefills every segment once (level by level, in chunks), then
 * decodes all samples together. KV segments are sized by {@link KvSizing} and allocated all-or-nothing by
 * {@link KvAllocator}; the attention of each forward pass is described as {@link io.hydragen.backend.AttentionBlock}s
 * assembled by {@link BlockAssembler}: with Hydragen, one block per shared segment holding the rows of every sequence below it, plus one per leaf;
 * per-sequence, one block per row over its whole path.
 */
final class BatchRunner {
    private final Backend backend;
    private final AttentionMode mode;
    private final PrefixPlanner planner;
    private final StopCheck stopCheck;
    private final int prefillChunk;
    private final ProgressListener progress;
    private final boolean keepPromptLogits;
    private final List<KvSegment> privateCopies = new ArrayList<>();
    private final PrefixKvCache cache;     // null: nothing is kept across calls
    /** Fewest cached tokens worth copying, and fewest prompt-start tokens worth caching. */
    private final int minReuseTokens;

    BatchRunner(Backend backend, AttentionMode mode, PrefixPlanner planner, StopCheck stopCheck, int prefillChunk,
                ProgressListener progress, boolean keepPromptLogits, PrefixKvCache cache, int minReuseTokens) {
        this.cache = cache;
        this.minReuseTokens = minReuseTokens;
        this.backend = backend;
        this.mode = mode;
        this.planner = planner;
        this.stopCheck = stopCheck;
        this.prefillChunk = prefillChunk;
        this.progress = progress;
        this.keepPromptLogits = keepPromptLogits;
    }

    /** A run of a segment's prompt slots [from, to) inside one forward pass. */
    private record Piece(Segment segment, int from, int to, int firstRow) {}

    BatchStats run(List<Sequence> seqs) {
        List<int[]> prompts = new ArrayList<>();
        for (Sequence s : seqs) prompts.add(s.prompt);
        PrefixPlan plan = planner.plan(prompts);
        int[] reserved = new int[seqs.size()];
        for (int i = 0; i < reserved.length; i++) reserved[i] = seqs.get(i).reservedNewTokens;
        // all or nothing: when a segment does not fit, the ones before it are freed and AllocationException propagates
        Map<Segment, KvSegment> kv = KvAllocator.allocate(backend, plan.segments(), KvSizing.capacities(plan, reserved));
        try {
            for (int i = 0; i < seqs.size(); i++) {
                Sequence s = seqs.get(i);
                Segment leaf = plan.leaf(i);
                s.leaf = kv.get(leaf);
                s.leafStart = leaf.start();
                s.leafPromptTokens = leaf.length();
                s.sharedTokens = plan.sharedTokens(i);
            }
            long t0 = System.nanoTime();
            Map<Segment, SegmentLogprobs> lp = promptLogprobs(plan, seqs);
            Map<Segment, Integer> cached = reuseCachedPrefixes(plan, kv, lp);
            long reused = 0;
            for (int n : cached.values()) reused += n;
            prefill(plan, kv, seqs, cached, lp);
            if (cache != null) {
                for (Segment seg : plan.segments()) if (seg.depth() == 0 && seg.length() >= minReuseTokens) cache.put(seg.tokens(), kv.get(seg));
            }
            if (mode == AttentionMode.PER_SEQUENCE) privatize(plan, kv, seqs);
            long t1 = System.nanoTime();
            int[] decoded = decode(plan, kv, seqs);
            long t2 = System.nanoTime();
            long promptTokens = 0, shared = 0, generated = 0;
            for (Sequence s : seqs) { promptTokens += s.prompt.length; shared += s.sharedTokens; generated += s.count; }
            return new BatchStats(seqs.size(), promptTokens, plan.prefilledTokens() - reused, shared, generated, decoded[1],
                    t1 - t0, t2 - t1, decoded[0]);
        } finally {
            KvAllocator.closeAll(kv.values());
            KvAllocator.closeAll(privateCopies);
            privateCopies.clear();
        }
    }

    // ---- prefill -------------------------------------------------------------------------------------------

    /**
     * Copies the KV of the longest cached start of each root segment (a prompt start seen in an earlier call) and
     * returns how many slots each got ({@link PromptLogitSlots#reusable}).
     */
    private Map<Segment, Integer> reuseCachedPrefixes(PrefixPlan plan, Map<Segment, KvSegment> kv, Map<Segment, SegmentLogprobs> lp) {
        Map<Segment, Integer> filled = new IdentityHashMap<>();
        if (cache == null) return filled;
        for (Segment seg : plan.segments()) {
            if (seg.depth() != 0) continue;
            PrefixKvCache.Match m = cache.longestPrefix(seg.tokens());
            int n = m == null ? 0 : logitSlots(seg, lp).reusable(m.length());
            if (n < minReuseTokens) continue;
            backend.copyKv(m.entry().kv(), 0, kv.get(seg), 0, n);
            filled.put(seg, n);
        }
        return filled;
    }

    private void prefill(PrefixPlan plan, Map<Segment, KvSegment> kv, List<Sequence> seqs, Map<Segment, Integer> cached,
                         Map<Segment, SegmentLogprobs> lp) {
        List<Piece> pending = new ArrayList<>();
        long total = plan.prefilledTokens(), done = 0;
        for (int n : cached.values()) total -= n;
        for (int level = 0; level < plan.levels(); level++) {
            int rows = 0;
            LogitRowBudget budget = new LogitRowBudget();
            for (Segment seg : plan.segments()) {
                if (seg.depth() != level) continue;
                int firstNeeded = logitSlots(seg, lp).first();
                for (int from = cached.getOrDefault(seg, 0); from < seg.length(); ) {
                    int take = Math.min(seg.length() - from, prefillChunk - rows);
                    if (take > 0) take = budget.take(from, take, firstNeeded);
                    if (take > 0) {
                        pending.add(new Piece(seg, from, from + take, rows));
                        rows += take;
                        from += take;
                    }
                    if (rows == prefillChunk || (take == 0 || budget.spent()) && rows > 0) {
                        prefillPass(pending, rows, plan, kv, seqs, lp);
                        done += rows;
                        progress.onProgress("prefill", done, total);
                        pending.clear();
                        rows = 0;
                        budget = new LogitRowBudget();
                    }
                }
            }
            if (rows > 0) {
                prefillPass(pending, rows, plan, kv, seqs, lp);
                done += rows;
                progress.onProgress("prefill", done, total);
                pending.clear();
            }
        }
    }

    /** The slots of {@code seg} whose logits prompt log-probabilities need. */
    private static PromptLogitSlots logitSlots(Segment seg, Map<Segment, SegmentLogprobs> lp) {
        if (lp.isEmpty()) return PromptLogitSlots.none(seg.length());
        List<SegmentLogprobs> children = new ArrayList<>();
        for (Segment c : seg.children()) children.add(lp.get(c));
        return new PromptLogitSlots(seg.length(), lp.get(seg), children);
    }

    /**
     * One prefill pass over {@code pieces}. Logits come to the host only where prompt log-probabilities need them
     * (or a prompt's last logits are kept); each sample whose prompt ends here gets its first token from the backend
     * ({@link PassLogitRows}).
     */
    private void prefillPass(List<Piece> pieces, int rows, PrefixPlan plan, Map<Segment, KvSegment> kv, List<Sequence> seqs,
                             Map<Segment, SegmentLogprobs> lp) {
        int[] tokens = new int[rows], positions = new int[rows], slots = new int[rows];
        KvSegment[] writes = new KvSegment[rows];
        BlockAssembler blocks = new BlockAssembler(mode.perSequence(), kv);
        PassLogitRows logitRows = new PassLogitRows(keepPromptLogits);
        for (Piece p : pieces) {
            Segment seg = p.segment;
            KvSegment k = kv.get(seg);
            k.setLength(p.to);
            int n = p.to - p.from;
            int[] pieceRows = new int[n], visible = new int[n];
            PromptLogitSlots needs = logitSlots(seg, lp);
            for (int i = 0; i < n; i++) {
                int r = p.firstRow + i, slot = p.from + i;
                tokens[r] = seg.tokens()[slot];
                positions[r] = seg.start() + slot;
                writes[r] = k;
                slots[r] = slot;
                pieceRows[i] = r;
                visible[i] = slot + 1;
                boolean last = slot == seg.length() - 1;
                logitRows.prefill(r, needs, slot, last && endsAPrompt(seg, plan));
                if (!last) continue;
                // every sequence whose prompt ends here takes its first token from this row (max_new_tokens 0 ends: prefill only)
                for (int s : seg.sequences()) {
                    if (promptEnd(plan, s) != seg) continue;
                    Sequence seq = seqs.get(s);
                    logitRows.start(seq, seq.wantsPromptLogprobs() ? logprobsPath(plan, s, lp) : null);
                }
            }
            blocks.add(seg.ancestors(), k, pieceRows, visible);
        }
        NextTokens next = backend.forwardSample(new ForwardBatch(tokens, positions, writes, slots, blocks.blocks(), logitRows.logitRows()),
                mode, logitRows.sampling());
        logitRows.startSamples(next, stopCheck);
    }

    private static List<SegmentLogprobs> logprobsPath(PrefixPlan plan, int s, Map<Segment, SegmentLogprobs> lp) {
        List<SegmentLogprobs> path = new ArrayList<>();
        for (Segment x : plan.path(s)) path.add(lp.get(x));
        return path;
    }

    /** Prompt log-probabilities wanted by each segment, from the sequences below it; empty when none asks. */
    private static Map<Segment, SegmentLogprobs> promptLogprobs(PrefixPlan plan, List<Sequence> seqs) {
        Map<Segment, SegmentLogprobs> lp = new IdentityHashMap<>();
        for (int i = 0; i < seqs.size(); i++) {
            SegmentLogprobs.wantAlong(seqs.get(i), plan.path(i), seg -> lp.computeIfAbsent(seg, x -> new SegmentLogprobs(x.start(), x.tokens())));
        }
        return lp;
    }

    private static boolean endsAPrompt(Segment seg, PrefixPlan plan) {
        for (int s : seg.sequences()) if (promptEnd(plan, s) == seg) return true;
        return false;
    }

    /** The segment holding the sequence's last prompt token: its leaf, or the leaf's parent when the leaf is empty. */
    private static Segment promptEnd(PrefixPlan plan, int s) {
        Segment leaf = plan.leaf(s);
        return leaf.length() > 0 ? leaf : leaf.parent();
    }

    /**
     * The per-sequence baseline keeps each sequence's KV to itself, as an engine without prefix sharing does: after the
     * (shared) prefill, every sequence gets a private copy of its whole prompt's KV, and the shared segments are freed.
     */
    private void privatize(PrefixPlan plan, Map<Segment, KvSegment> kv, List<Sequence> seqs) {
        List<KvSegment> copies = new ArrayList<>();
        try {
            for (int i = 0; i < seqs.size(); i++) {
                Sequence s = seqs.get(i);
                if (s.done()) continue;
                KvSegment own = KvAllocator.newSegment(backend, KvSizing.privateCapacity(s.prompt.length, s.reservedNewTokens));
                copies.add(own);
                for (Segment seg : plan.path(i)) backend.copyKv(kv.get(seg), 0, own, seg.start(), seg.length());
                own.setLength(s.prompt.length);
                s.leaf = own;
                s.leafStart = 0;
                s.leafPromptTokens = s.prompt.length;
                s.privateKv = true;
            }
        } catch (RuntimeException | Error e) {
            KvAllocator.closeAll(copies);
            throw e;
        }
        KvAllocator.closeAll(kv.values());
        kv.clear();
        privateCopies.addAll(copies);
    }

    // ---- decode --------------------------------------------------------------------------------------------

    /** @return {decode steps, tokens generated by decode steps} */
    private int[] decode(PrefixPlan plan, Map<Segment, KvSegment> kv, List<Sequence> seqs) {
        int steps = 0, tokensOut = 0;
        int maxSteps = 0;
        for (Sequence s : seqs) maxSteps = Math.max(maxSteps, s.reservedNewTokens - 1);
        List<Integer> active = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i++) if (!seqs.get(i).done()) active.add(i);
        while (!active.isEmpty()) {
            int n = active.size();
            int[] tokens = new int[n], positions = new int[n], slots = new int[n], rowsAll = new int[n];
            KvSegment[] writes = new KvSegment[n];
            RowSampling[] sampling = new RowSampling[n];   // mask and log-probabilities included: picked by the backend
            BlockAssembler blocks = new BlockAssembler(mode.perSequence(), kv);
            for (int r = 0; r < n; r++) {
                int si = active.get(r);
                Sequence s = seqs.get(si);
                int slot = s.leafPromptTokens + s.count - 1;
                s.leaf.setLength(slot + 1);
                tokens[r] = s.last();
                positions[r] = s.nextPosition();
                writes[r] = s.leaf;
                slots[r] = slot;
                rowsAll[r] = r;
                sampling[r] = s.rowSampling();
                List<Segment> ancestors = s.privateKv ? List.of() : plan.leaf(si).ancestors();
                blocks.add(ancestors, s.leaf, new int[] {r}, new int[] {slot + 1});
            }
            NextTokens next = backend.forwardSample(new ForwardBatch(tokens, positions, writes, slots, blocks.blocks(), rowsAll), mode, sampling);
            steps++;
            List<Integer> still = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                Sequence s = seqs.get(active.get(r));
                stopCheck.accept(s, next, r);
                tokensOut++;
                if (!s.done()) still.add(active.get(r));
            }
            active = still;
            progress.onProgress("decode", steps, maxSteps);
        }
        return new int[] {steps, tokensOut};
    }
}
