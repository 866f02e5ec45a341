package io.hydragen.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * Which prefill slots of one segment need their logits on the host for prompt log-probabilities, and what those
 * logits fill: slot j's logits predict this segment's token j + 1, and its last slot's predict each child's first
 * token ({@link SegmentLogprobs}). One definition for both schedulers' segments (a plan's segment with its map, a live
 * tree's segment with its field); made afresh for each pass, since rows joining a live segment add children.
 */
final class PromptLogitSlots {
    private final int length;
    private final SegmentLogprobs own;
    /** Children whose first entry this segment's last logits predict. */
    private final List<SegmentLogprobs> firsts = new ArrayList<>();

    /**
     * @param own      the segment's prompt log-probabilities, null when no row below asks
     * @param children its children's, any null
     */
    PromptLogitSlots(int length, SegmentLogprobs own, List<SegmentLogprobs> children) {
        this.length = length;
        this.own = own;
        for (SegmentLogprobs c : children) if (c != null && c.needsFirst()) firsts.add(c);
    }

    /** A segment none of whose slots needs logits on the host (no row below asks for prompt log-probabilities). */
    static PromptLogitSlots none(int length) { return new PromptLogitSlots(length, null, List.of()); }

    /** First slot whose logits are needed; the length when none. The per-pass cap counts every slot from here on. */
    int first() {
        int first = own == null ? length : own.firstInnerSlot();
        return firsts.isEmpty() ? first : Math.min(first, length - 1);
    }

    /** Whether the logits at {@code slot} must come to the host: they predict an entry someone asked for. */
    boolean needs(int slot) {
        return (own != null && own.needsInner(slot)) || (slot == length - 1 && !firsts.isEmpty());
    }

    /** Fills every entry that the logits at {@code slot} predict. */
    void fill(int slot, float[] logits) {
        if (own != null && own.needsInner(slot)) own.fillInner(slot, logits);
        if (slot == length - 1) for (SegmentLogprobs c : firsts) c.fillFirst(logits);
    }

    /**
     * Slots of a cached start of {@code cached} tokens worth copying instead of prefilling: never the last (its logits
     * start samples), nor any slot from {@link #first()} on (its logits are needed).
     */
    int reusable(int cached) { return Math.min(Math.min(cached, length - 1), first()); }
}
