package io.hydragen.generate;

import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.KvSegment;
import io.hydragen.plan.Segment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
    private final Map<Segment, IntList> sharedRows = new LinkedHashMap<>();
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
        if (perSequence) {
            List<KvSegment> path = new ArrayList<>(ancestors.size() + 1);
            for (Segment a : ancestors) path.add(kvOf(a));
            path.add(ownKv);
            own.add(new AttentionBlock(path, rows, visible));
        } else {
            for (Segment a : ancestors) sharedRows.computeIfAbsent(a, x -> new IntList()).addAll(rows);
            own.add(new AttentionBlock(List.of(ownKv), rows, visible));
        }
    }

    /** The blocks: shared ones first (root-first, in the order segments were first named), then those of each call. */
    List<AttentionBlock> blocks() {
        List<AttentionBlock> out = new ArrayList<>(sharedRows.size() + own.size());
        for (Map.Entry<Segment, IntList> e : sharedRows.entrySet()) {
            int[] rows = e.getValue().toArray();
            int[] visible = new int[rows.length];
            Arrays.fill(visible, e.getKey().length());
            out.add(new AttentionBlock(List.of(kvOf(e.getKey())), rows, visible));
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
