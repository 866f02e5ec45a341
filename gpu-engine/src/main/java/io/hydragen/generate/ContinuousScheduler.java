package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.AllocationException;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.backend.NextTokens;
import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.PrefixPlanner;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Continuous batching with prefix-aware admission. Sequences come from a stream; up to
 * {@link BatchOptions#maxBatchSequences()} run at once within the KV budget. Each step:
 * <ol>
 *   <li>admission ({@link ContinuousAdmission}) takes waiting rows into the {@link LiveTree}: rows whose prompts extend
 *       a live shared segment join it and only their remainder is allocated and prefilled; the others are planned
 *       together ({@link PrefixPlanner}), so waiting rows sharing a prefix get one new shared segment;</li>
 *   <li>one forward pass of every decoding row (one new token each) together with at most
 *       {@link BatchOptions#prefillTokensPerStep()} prompt tokens of the segments not yet prefilled (a segment once its
 *       parent is complete), its attention blocks built from the live tree (with Hydragen: one block per live shared
 *       segment holding all its rows, decoding or prefilling); a row whose last prompt token is prefilled samples its
 *       first token and decodes from the next pass on;</li>
 *   <li>finished rows are handed out at once and their KV released: a segment is freed with its last live row.</li>
 * </ol>
 * A row's tokens depend only on its prompt, settings and seed: sampling draws are per (seed, sample, step), and a
 * row's attention is split over the segments of its own path, merged root first.
 */
final class ContinuousScheduler {
    /** Rows read ahead of admission, per running slot: the window in which waiting rows' shared prefixes are found. */
    static final int LOOKAHEAD_FACTOR = 2;

    private final Backend backend;
    private final AttentionMode mode;
    private final StopCheck stopCheck;
    private final BatchOptions batching;
    private final ProgressListener progress;
    private final PrefixKvCache cache;
    private final int minReuseTokens;
    private final LiveTree tree;
    private final ContinuousAdmission admission;

    private final Deque<Row> waiting = new ArrayDeque<>();
    private final List<Row> prefilling = new ArrayList<>();
    private final List<Row> decoding = new ArrayList<>();
    private final List<LiveSegment> toPrefill = new ArrayList<>();
    private Consumer<Sequence> onFinished;
    /** An allocation failed while rows were running: admit nothing until one of them finishes and frees its KV. */
    private boolean waitForFinish;
    private long finishedRows, totalRows;

    // statistics
    private long sequences, promptTokens, prefilled, shared, generated, decodeTokens, prefillNanos, decodeNanos, runningSum;
    private int decodeSteps;

    /** A sequence in the scheduler: its leaf in the live tree, the KV of its ancestors, its private copy if any. */
    static final class Row {
        final Sequence seq;
        LiveSegment leaf;            // null until admitted
        List<KvSegment> ancestorKv;
        int[] ancestorLengths;
        KvSegment privateKv;         // per-sequence attention: a copy of the whole context
        int privateCapacity;
        int pendingPrivate;          // per-sequence attention: slots reserved for the private copy not yet made
        boolean released;            // its path in the tree no longer counts it

        Row(Sequence seq) { this.seq = seq; }
    }

    /**
     * @param budgetTokens KV slots the live tree may hold ({@link Long#MAX_VALUE}: none)
     * @param cache prompt starts kept across calls, or null
     */
    ContinuousScheduler(Backend backend, AttentionMode mode, PrefixPlanner planner, StopCheck stopCheck, BatchOptions batching,
                        long budgetTokens, PrefixKvCache cache, int minReuseTokens, ProgressListener progress) {
        this.backend = backend;
        this.mode = mode;
        this.stopCheck = stopCheck;
        this.batching = batching;
        this.progress = progress;
        this.cache = cache;
        this.minReuseTokens = minReuseTokens;
        this.tree = new LiveTree(backend, cache, Math.max(1, minReuseTokens));
        this.admission = new ContinuousAdmission(tree, planner, mode == AttentionMode.PER_SEQUENCE, budgetTokens, batching.maxBatchSequences());
    }

    /**
     * Runs every sequence of {@code source} (each with max_new_tokens ≥ 1) to its end, handing each to
     * {@code onFinished} as it finishes (with its tokens and finish reason, or an error). On an exception (cancellation,
     * a backend failure) all KV is freed and the exception propagates.
     *
     * @param expected sequences the source holds when known (progress only), else 0
     */
    BatchStats run(Iterator<Sequence> source, long expected, Consumer<Sequence> onFinished) {
        start(source, expected, onFinished);
        try {
            while (advance()) { /* one round each */ }
        } finally {
            release();
        }
        return stats();
    }

    private Iterator<Sequence> source;

    /** Begins a run over {@code source} without running anything yet: {@link #advance} then runs it round by round. */
    void start(Iterator<Sequence> source, long expected, Consumer<Sequence> onFinished) {
        this.source = source;
        this.onFinished = onFinished;
        this.totalRows = expected;
    }

    /**
     * One round: reads ahead (at most {@link #LOOKAHEAD_FACTOR} × the batch limit waiting rows), admits, runs one
     * forward pass, and hands out the rows that finished. Lets a caller that is itself pulled (a Spark partition
     * iterator) drive the scheduler from its own thread, taking finished rows between rounds.
     *
     * @return false once every sequence of the source has finished (nothing more will be handed out)
     */
    boolean advance() {
        Engine.checkCancelled();
        while (waiting.size() < LOOKAHEAD_FACTOR * batching.maxBatchSequences() && source.hasNext()) waiting.add(new Row(source.next()));
        admit();
        if (!toPrefill.isEmpty() || !decoding.isEmpty()) step();
        return !(decoding.isEmpty() && prefilling.isEmpty() && waiting.isEmpty() && !source.hasNext());
    }

    /** Frees all KV still held (after the last round, or when a run is abandoned); idempotent. */
    void release() {
        for (Row r : decoding) if (r.privateKv != null) { r.privateKv.close(); r.privateKv = null; }
        tree.closeAll();
    }

    /** The statistics of the rounds run so far. */
    BatchStats stats() {
        return new BatchStats((int) sequences, promptTokens, prefilled, shared, generated, decodeTokens, prefillNanos, decodeNanos, decodeSteps);
    }

    /** Mean rows per decode step so far. */
    double meanRunning() { return decodeSteps == 0 ? 0 : runningSum / (double) decodeSteps; }

    // ---- admission ------------------------------------------------------------------------------------------

    private void admit() {
        int running = prefilling.size() + decoding.size();
        if (waitForFinish && running > 0) return;
        waitForFinish = false;
        ContinuousAdmission.Decision d = admission.decide(waiting, running);
        if (d == null) return;
        if (d.rejected() != null) {
            waiting.remove(d.rejected());
            Sequence s = d.rejected().seq;
            s.error = KvSizing.tooLargeMessage(d.rejectedTokens(), s.prompt.length, s.reservedNewTokens, backend.kvBytesPerToken(),
                    admission.budgetTokens() == Long.MAX_VALUE ? 0 : admission.budgetTokens() * backend.kvBytesPerToken());
            emit(s);
            return;
        }
        List<Row> grafted = new ArrayList<>();
        List<LiveSegment> made = new ArrayList<>();
        try {
            for (ContinuousAdmission.Group g : d.groups()) {
                made.addAll(tree.graft(g.plan(), g.anchor(), g.rows(), g.reserved()));
                grafted.addAll(g.rows());
            }
        } catch (RuntimeException e) {
            if (!AllocationException.isAllocationFailure(e)) throw e;
            for (Row r : grafted) { tree.release(r.leaf); r.leaf = null; }
            if (running == 0 && d.rowCount() == 1) {
                Row r = d.groups().get(0).rows().get(0);
                waiting.remove(r);
                r.seq.error = e.getMessage();
                emit(r.seq);
            } else {
                admission.allocationFailed(d.rowCount());   // admit fewer next time; rows finishing will free memory
                waitForFinish = running > 0;
            }
            return;
        }
        admission.allocationSucceeded();
        for (Row r : grafted) {
            waiting.remove(r);
            Sequence s = r.seq;
            List<LiveSegment> anc = r.leaf.ancestors();
            r.ancestorKv = new ArrayList<>(anc.size());
            r.ancestorLengths = new int[anc.size()];
            int sharedTokens = 0;
            for (int i = 0; i < anc.size(); i++) {
                r.ancestorKv.add(anc.get(i).kv);
                r.ancestorLengths[i] = anc.get(i).length();
                if (anc.get(i).shared) sharedTokens += anc.get(i).length();
            }
            s.leaf = r.leaf.kv;
            s.leafStart = r.leaf.start;
            s.leafPromptTokens = r.leaf.length();
            s.sharedTokens = sharedTokens;
            sequences++;
            promptTokens += s.prompt.length;
            shared += sharedTokens;
            if (mode == AttentionMode.PER_SEQUENCE) {
                r.pendingPrivate = KvSizing.privateCapacity(s.prompt.length, s.reservedNewTokens);
                tree.reserve(r.pendingPrivate);
            }
            SegmentLogprobs.wantAlong(s, r.leaf.path(), LiveSegment::askedLogprobs);
            prefilling.add(r);
        }
        for (LiveSegment seg : made) {
            if (cache != null && seg.parent == null) reuseCached(seg);
            if (seg.filled < seg.length()) toPrefill.add(seg);
        }
    }

    /** Copies the KV of the longest cached start of a new root segment ({@link PromptLogitSlots#reusable} slots). */
    private void reuseCached(LiveSegment seg) {
        PrefixKvCache.Match m = cache.longestPrefix(seg.tokens);
        int n = m == null ? 0 : seg.logitSlots().reusable(m.length());
        if (n < Math.max(1, minReuseTokens)) return;
        backend.copyKv(m.entry().kv(), 0, seg.kv, 0, n);
        seg.kv.setLength(n);
        seg.filled = n;
    }

    // ---- one forward pass: decode rows and prefill pieces together ----------------------------------------------

    /** Prompt tokens [from, to) of one segment in this pass. */
    private record Piece(LiveSegment segment, int from, int to) {}

    /**
     * One forward pass holding every decoding row (one new token each) and up to
     * {@link BatchOptions#prefillTokensPerStep()} prompt tokens of the segments not yet prefilled (a segment once its
     * parent is complete), as vLLM's chunked prefill does: on this engine a pass reads all weights once whatever its
     * row count, so a separate prefill pass for a newly admitted row's suffix would cost nearly a whole decode step.
     * The decode rows come first, then the pieces; the backend picks every decode row's token and the first token of
     * each row whose last prompt token is prefilled (which decodes from the next pass on), so only ids come back;
     * logits come to the host only where prompt log-probabilities need them ({@link PassLogitRows}).
     */
    private void step() {
        long t0 = System.nanoTime();
        List<Piece> pieces = prefillPieces();
        int n = decoding.size(), rows = n;
        for (Piece p : pieces) rows += p.to - p.from;
        int[] tokens = new int[rows], positions = new int[rows], slots = new int[rows];
        KvSegment[] writes = new KvSegment[rows];
        BlockAssembler blocks = new BlockAssembler(mode.perSequence(), null);
        PassLogitRows logitRows = new PassLogitRows(false);
        for (int r = 0; r < n; r++) {
            Row row = decoding.get(r);
            Sequence s = row.seq;
            int slot = s.leafPromptTokens + s.count - 1;
            s.leaf.setLength(slot + 1);
            tokens[r] = s.last();
            positions[r] = s.nextPosition();
            writes[r] = s.leaf;
            slots[r] = slot;
            logitRows.decode(r, s.rowSampling());
            int[] one = {r}, visible = {slot + 1};
            if (s.privateKv) blocks.add(List.of(), new int[0], s.leaf, one, visible);
            else blocks.add(row.ancestorKv, row.ancestorLengths, s.leaf, one, visible);
        }
        List<Row> started = new ArrayList<>();
        int next = n;
        for (Piece p : pieces) {
            LiveSegment seg = p.segment;
            seg.kv.setLength(p.to);
            int len = p.to - p.from;
            int[] pieceRows = new int[len], visible = new int[len];
            PromptLogitSlots needs = seg.logitSlots();
            for (int i = 0; i < len; i++) {
                int r = next + i, slot = p.from + i;
                tokens[r] = seg.tokens[slot];
                positions[r] = seg.start + slot;
                writes[r] = seg.kv;
                slots[r] = slot;
                pieceRows[i] = r;
                visible[i] = slot + 1;
                boolean last = slot == seg.length() - 1;
                logitRows.prefill(r, needs, slot, last && !seg.promptEnds.isEmpty());
                if (!last) continue;
                for (Row e : seg.promptEnds) {
                    logitRows.start(e.seq, e.seq.wantsPromptLogprobs() ? e.leaf.logprobsPath() : null);
                    started.add(e);
                }
            }
            List<LiveSegment> anc = seg.ancestors();
            List<KvSegment> ancKv = new ArrayList<>(anc.size());
            int[] ancLen = new int[anc.size()];
            for (int i = 0; i < ancLen.length; i++) { ancKv.add(anc.get(i).kv); ancLen[i] = anc.get(i).length(); }
            blocks.add(ancKv, ancLen, seg.kv, pieceRows, visible);
            next += len;
        }
        NextTokens picked = backend.forwardSample(new ForwardBatch(tokens, positions, writes, slots, blocks.blocks(), logitRows.logitRows()),
                mode, logitRows.sampling());
        List<Row> done = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            Row row = decoding.get(r);
            stopCheck.accept(row.seq, picked, r);
            decodeTokens++;
            generated++;
            if (row.seq.done()) done.add(row);
        }
        prefilled += rows - n;
        for (Piece p : pieces) {
            p.segment.filled = p.to;
            if (p.segment.complete()) {
                toPrefill.remove(p.segment);
                p.segment.promptEnds.clear();   // started below
            }
        }
        logitRows.startSamples(picked, stopCheck);
        for (Row r : started) generated += r.seq.count;
        // a mixed pass's time is split by rows: decode tokens/s stays the rate of decode rows, prefill's the rest
        long nanos = System.nanoTime() - t0, decodeShare = rows == 0 ? 0 : nanos * n / rows;
        decodeNanos += decodeShare;
        prefillNanos += nanos - decodeShare;
        if (n > 0) {
            decodeSteps++;
            runningSum += n;
        }
        if (!done.isEmpty()) {
            decoding.removeAll(done);
            for (Row r : done) finish(r);
        }
        for (Row r : started) {
            prefilling.remove(r);
            if (r.seq.done()) { finish(r); continue; }
            if (mode == AttentionMode.PER_SEQUENCE) privatize(r);
            decoding.add(r);
        }
    }

    /**
     * The prompt tokens of this pass: segments whose parent is complete, in admission order, within the budget; and at
     * most {@link LogitRowBudget#PER_PASS} logits rows for prompt log-probabilities.
     */
    private List<Piece> prefillPieces() {
        int budget = batching.prefillTokensPerStep(), taken = 0;
        LogitRowBudget logitRows = new LogitRowBudget();
        List<Piece> pieces = new ArrayList<>();
        for (LiveSegment seg : toPrefill) {
            if (taken == budget) break;
            if (seg.parent != null && !seg.parent.complete()) continue;
            int take = logitRows.take(seg.filled, Math.min(seg.length() - seg.filled, budget - taken), seg.logitSlots().first());
            if (take <= 0) break;
            pieces.add(new Piece(seg, seg.filled, seg.filled + take));
            taken += take;
        }
        return pieces;
    }

    /**
     * The per-sequence baseline keeps each row's KV to itself: once its prompt is prefilled, the row gets a private
     * copy of its whole context and leaves the tree (a shared segment is freed with its last row there).
     */
    private void privatize(Row r) {
        Sequence s = r.seq;
        int cap = KvSizing.privateCapacity(s.prompt.length, s.reservedNewTokens);
        tree.unreserve(r.pendingPrivate);
        r.pendingPrivate = 0;
        KvSegment own = tree.newPrivate(cap);
        List<LiveSegment> path = r.leaf.ancestors();
        path.add(r.leaf);
        for (LiveSegment seg : path) backend.copyKv(seg.kv, 0, own, seg.start, seg.length());
        own.setLength(s.prompt.length);
        r.privateKv = own;
        r.privateCapacity = cap;
        tree.release(r.leaf);
        r.released = true;
        s.leaf = own;
        s.leafStart = 0;
        s.leafPromptTokens = s.prompt.length;
        s.privateKv = true;
    }

    // ---- finishing ------------------------------------------------------------------------------------------

    private void finish(Row r) {
        waitForFinish = false;
        if (r.pendingPrivate > 0) { tree.unreserve(r.pendingPrivate); r.pendingPrivate = 0; }
        if (!r.released) { tree.release(r.leaf); r.released = true; }
        if (r.privateKv != null) { tree.closePrivate(r.privateKv, r.privateCapacity); r.privateKv = null; }
        r.seq.leaf = null;
        emit(r.seq);
    }

    private void emit(Sequence s) {
        finishedRows++;
        onFinished.accept(s);
        progress.onProgress("decode", finishedRows, Math.max(totalRows, finishedRows));
    }
}
