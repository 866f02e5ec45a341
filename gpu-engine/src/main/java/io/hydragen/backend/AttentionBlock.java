package io.hydragen.backend;

import java.util.List;

/**
 * One attention job of a forward pass: the query rows {@code rows} attend to the keys of {@code segments},
 * concatenated in order. All keys of the earlier segments are visible; of the last one, row {@code rows[i]}
 * sees its first {@code visibleInLast[i]} keys (causal masking inside a segment being prefilled).
 *
 * <p>A row may appear in several blocks (Hydragen: one block per level of its prefix tree, each batching
 * the rows of every sequence under that segment); the backend merges a row's partial results exactly
 * through their log-sum-exp. With per-sequence attention each row appears in exactly one block whose
 * segments are its whole path.
 */
public record AttentionBlock(List<KvSegment> segments, int[] rows, int[] visibleInLast) {
    public AttentionBlock {
        if (rows.length != visibleInLast.length) throw new IllegalArgumentException("rows and visibleInLast differ in length");
        segments = List.copyOf(segments);
    }

    /** Keys of all but the last segment, visible to every row. */
    public int fullyVisibleKeys() {
        int n = 0;
        for (int i = 0; i < segments.size() - 1; i++) n += segments.get(i).length();
        return n;
    }
}
