package io.hydragen.generate;

import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.KvSegment;
import io.hydragen.plan.Segment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@link AttentionBlock}s of one forward pass (a prefill pass of segment pieces, or a decode step) from
 * the plan. Each call of {@link #add} names rows that attend to all keys of their ancestor segments, then causally to
 * their own segment.
 *
 * <p>Hydragen: one block per shared ancestor segment holding the rows of every piece or sequence below it (their
 * queries batched against its keys), placed root-first before the per-row blocks over their own segments, the order
 * their partial results are merged in by log-sum-exp. Per-sequence: one block per call, over the whole path.
 */
final class BlockAssembler {
    private final boolean perSequence;
    private final Map<Segment, KvSegment> kv;
    /** Shared ancestors by their KV (identity), in the order first named; each with its visible keys and rows. */
    private final Map<KvSegment, Shared> sharedRows = new java.util.IdentityHashMap<>();
    private final List<Shared> sharedOrder = new ArrayList<>();

    private record Shared(KvSegment kv, int visible, IntList rows) {}
    private final List<AttentionBlock> own = new ArrayList<>();

    /** @param kv the KV of every segment of the plan that rows may name as an ancestor */
    BlockAssembler(boolean perSequence, Map<Segment, KvSegment> kv) {
        this.perSequence = perSequence;
        this.kv = kv;
    }

    /**
     * @param ancestors root-first segments above {@code ownKv}, whose keys the rows see entirely (empty for a private copy)
     * @param ownKv the KV the rows write to; row {@code rows[i]} sees its first {@code visible[i]} keys
     */
    void add(List<Segment> ancestors, KvSegment ownKv, int[] rows, int[] visible) {
        List<KvSegment> kvs = new ArrayList<>(ancestors.size());
        int[] lengths = new int[ancestors.size()];
        for (int i = 0; i < lengths.length; i++) {
            kvs.add(kvOf(ancestors.get(i)));
            lengths[i] = ancestors.get(i).length();
        }
        add(kvs, lengths, ownKv, rows, visible);
    }

    /**
     * The same over KV segments directly (the continuous scheduler's live tree has no plan).
     *
     * @param ancestorLengths keys of each ancestor the rows see (all of its prompt tokens)
     */
    void add(List<KvSegment> ancestors, int[] ancestorLengths, KvSegment ownKv, int[] rows, int[] visible) {
        if (perSequence) {
            List<KvSegment> path = new ArrayList<>(ancestors.size() + 1);
            path.addAll(ancestors);
            path.add(ownKv);
            own.add(new AttentionBlock(path, rows, visible));
        } else {
            for (int i = 0; i < ancestors.size(); i++) {
                KvSegment a = ancestors.get(i);
                Shared sh = sharedRows.get(a);
                if (sh == null) {
                    sh = new Shared(a, ancestorLengths[i], new IntList());
                    sharedRows.put(a, sh);
                    sharedOrder.add(sh);
                }
                sh.rows().addAll(rows);
            }
            own.add(new AttentionBlock(List.of(ownKv), rows, visible));
        }
    }

    /** The blocks: shared ones first (root-first, in the order segments were first named), then those of each call. */
    List<AttentionBlock> blocks() {
        List<AttentionBlock> out = new ArrayList<>(sharedRows.size() + own.size());
        for (Shared sh : sharedOrder) {
            int[] rows = sh.rows().toArray();
            int[] visible = new int[rows.length];
            Arrays.fill(visible, sh.visible());
            out.add(new AttentionBlock(List.of(sh.kv()), rows, visible));
        }
        out.addAll(own);
        return out;
    }

    private KvSegment kvOf(Segment s) {
        KvSegment k = kv.get(s);
        if (k == null) throw new IllegalStateException("no KV for segment " + s.id());
        return k;
    }
}
