package io.hydragen.generate;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which slots of a segment need their logits on the host, without a backend: slot j predicts token j + 1, the last slot
 * each child's first token; expected values are the definition itself ({@link LogSoftmax#of}) on made-up logits.
 */
class PromptLogitSlotsTest {
    static final int[] ROOT = {10, 11, 12, 13, 14}, CHILD = {20, 21, 22};

    static SegmentLogprobs wanting(int start, int[] tokens, int from) {
        SegmentLogprobs lp = new SegmentLogprobs(start, tokens);
        lp.want(1, from);
        return lp;
    }

    static float[] logits(int seed) {
        float[] l = new float[32];
        for (int i = 0; i < l.length; i++) l[i] = (float) Math.sin(seed * 31 + i);
        return l;
    }

    @Test
    void everyRowFromPositionOneNeedsEverySlotButAPromptsLast() {
        PromptLogitSlots root = new PromptLogitSlots(5, wanting(0, ROOT, 1), Arrays.asList(wanting(5, CHILD, 1), null));
        assertEquals(0, root.first());
        for (int slot = 0; slot < 5; slot++) assertTrue(root.needs(slot), "slot " + slot);   // the last predicts the child's first
        assertEquals(0, root.reusable(100), "no cached slot can stand in for logits that are needed");

        PromptLogitSlots leaf = new PromptLogitSlots(3, wanting(5, CHILD, 1), List.of());
        assertTrue(leaf.needs(0) && leaf.needs(1));
        assertFalse(leaf.needs(2), "a prompt's last slot predicts no prompt token: its logits start samples instead");
    }

    @Test
    void scoringFromALaterPositionNeedsOnlyTheSlotsBeforeIt() {
        // a candidate from position 4 on: slot 3 predicts it; slots 0-2 may come from the prefix cache
        PromptLogitSlots s = new PromptLogitSlots(5, wanting(0, ROOT, 4), List.of());
        assertEquals(3, s.first());
        assertFalse(s.needs(2));
        assertTrue(s.needs(3));
        assertFalse(s.needs(4));
        assertEquals(3, s.reusable(100));
        assertEquals(2, s.reusable(2));
    }

    @Test
    void withoutPromptLogprobsNothingIsNeededAndAllButTheLastSlotIsReusable() {
        PromptLogitSlots s = new PromptLogitSlots(5, null, Arrays.asList(null, wanting(5, CHILD, 6)));   // the child wants from inside itself
        assertEquals(5, s.first());
        for (int slot = 0; slot < 5; slot++) assertFalse(s.needs(slot));
        assertEquals(4, s.reusable(100), "the last slot is run again: its logits start samples");
        assertEquals(PromptLogitSlots.none(5).first(), s.first());
    }

    @Test
    void fillPutsEachEntryWhereItsLogitsPredict() {
        SegmentLogprobs root = wanting(0, ROOT, 1), child = wanting(5, CHILD, 1);
        PromptLogitSlots r = new PromptLogitSlots(5, root, List.of(child)), c = new PromptLogitSlots(3, child, List.of());
        for (int slot = 0; slot < 5; slot++) r.fill(slot, logits(slot));
        c.fill(0, logits(5));
        List<SegmentLogprobs> path = List.of(root, child);
        assertThrows(IllegalStateException.class, () -> SegmentLogprobs.assemble(path, 8, 1, 1), "position 7 not yet filled");
        c.fill(1, logits(6));
        List<TokenLogprob> got = SegmentLogprobs.assemble(path, 8, 1, 1);
        int[] prompt = {10, 11, 12, 13, 14, 20, 21, 22};
        assertEquals(null, got.get(0));
        for (int p = 1; p < 8; p++) assertEquals(LogSoftmax.of(logits(p - 1), prompt[p], 1), got.get(p), "position " + p);
    }
}
