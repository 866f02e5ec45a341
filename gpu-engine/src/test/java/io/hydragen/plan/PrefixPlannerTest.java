package io.hydragen.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PrefixPlannerTest {

    private static int[] seq(int from, int n) { return IntStream.range(from, from + n).toArray(); }

    private static int[] cat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    private static void assertPathsRebuildPrompts(PrefixPlan plan, List<int[]> prompts) {
        for (int s = 0; s < prompts.size(); s++) {
            List<Integer> tokens = new ArrayList<>();
            int pos = 0;
            for (Segment seg : plan.path(s)) {
                assertEquals(pos, seg.start(), "segments are contiguous");
                for (int t : seg.tokens()) tokens.add(t);
                pos = seg.end();
            }
            assertArrayEquals(prompts.get(s), tokens.stream().mapToInt(Integer::intValue).toArray(), "path of sequence " + s);
        }
    }

    @Test
    void oneSharedPrefixBecomesOneSegmentWithALeafPerSequence() {
        int[] doc = seq(100, 40);
        List<int[]> prompts = new ArrayList<>();
        for (int q = 0; q < 6; q++) prompts.add(cat(doc, seq(1000 + 10 * q, 5)));
        PrefixPlan plan = new PrefixPlanner(16).plan(prompts);
        assertEquals(1, plan.sharedSegments().size());
        assertArrayEquals(doc, plan.sharedSegments().get(0).tokens());
        for (int s = 0; s < 6; s++) {
            assertEquals(5, plan.leaf(s).length());
            assertEquals(40, plan.sharedTokens(s));
        }
        assertEquals(40 + 6 * 5, plan.prefilledTokens());
        assertPathsRebuildPrompts(plan, prompts);
    }

    @Test
    void hierarchicalSharingFormsATree() {
        int[] instruction = seq(1, 20), docA = seq(200, 30), docB = seq(300, 30);
        List<int[]> prompts = new ArrayList<>();
        for (int[] doc : List.of(docA, docB)) for (int q = 0; q < 3; q++) prompts.add(cat(instruction, doc, seq(5000 + 7 * q, 4)));
        PrefixPlan plan = new PrefixPlanner(8).plan(prompts);
        assertEquals(3, plan.levels());
        assertEquals(3, plan.sharedSegments().size());
        Segment root = plan.path(0).get(0);
        assertArrayEquals(instruction, root.tokens());
        assertEquals(6, root.sequences().size());
        assertSame(root, plan.path(5).get(0));
        assertArrayEquals(docA, plan.path(0).get(1).tokens());
        assertArrayEquals(docB, plan.path(3).get(1).tokens());
        assertEquals(50, plan.sharedTokens(4));
        assertPathsRebuildPrompts(plan, prompts);
    }

    @Test
    void aSharedRunShorterThanTheMinimumIsFoldedIntoItsChildren() {
        int[] shortCommon = seq(1, 3), docA = seq(200, 30), docB = seq(300, 30);
        List<int[]> prompts = List.of(cat(shortCommon, docA, seq(900, 2)), cat(shortCommon, docA, seq(950, 2)),
                cat(shortCommon, docB, seq(800, 2)), cat(shortCommon, docB, seq(850, 2)));
        PrefixPlan plan = new PrefixPlanner(16).plan(prompts);
        assertEquals(2, plan.sharedSegments().size(), "the 3 common tokens are not a segment of their own");
        for (Segment s : plan.sharedSegments()) assertEquals(33, s.length());
        assertPathsRebuildPrompts(plan, prompts);
    }

    @Test
    void identicalPromptsShareEverythingAndKeepEmptyLeaves() {
        int[] p = seq(7, 30);
        PrefixPlan plan = new PrefixPlanner(4).plan(List.of(p, p, p));
        assertEquals(1, plan.sharedSegments().size());
        for (int s = 0; s < 3; s++) assertEquals(0, plan.leaf(s).length());
        assertEquals(30, plan.prefilledTokens());
    }

    @Test
    void aPromptThatIsAPrefixOfAnother() {
        int[] a = seq(7, 30), b = cat(a, seq(100, 5));
        PrefixPlan plan = new PrefixPlanner(4).plan(List.of(a, b));
        assertEquals(0, plan.leaf(0).length());
        assertEquals(5, plan.leaf(1).length());
        assertPathsRebuildPrompts(plan, List.of(a, b));
    }

    @Test
    void noSharingLeavesEveryPromptOnItsOwn() {
        List<int[]> prompts = List.of(seq(1, 10), seq(100, 12), seq(200, 9));
        PrefixPlan plan = new PrefixPlanner(1).plan(prompts);
        assertTrue(plan.sharedSegments().isEmpty());
        for (int s = 0; s < 3; s++) assertFalse(plan.leaf(s).shared());
        assertEquals(31, plan.prefilledTokens());
    }

    @Test
    void randomBatchesAlwaysRebuildTheirPrompts() {
        Random r = new Random(11);
        for (int trial = 0; trial < 200; trial++) {
            List<int[]> prompts = new ArrayList<>();
            int n = 1 + r.nextInt(12);
            for (int i = 0; i < n; i++) {
                int len = 1 + r.nextInt(20);
                int[] p = new int[len];
                // a small alphabet makes long shared runs likely
                for (int j = 0; j < len; j++) p[j] = r.nextInt(3);
                prompts.add(p);
            }
            PrefixPlan plan = new PrefixPlanner(1 + r.nextInt(4)).plan(prompts);
            assertPathsRebuildPrompts(plan, prompts);
            long total = prompts.stream().mapToLong(p -> p.length).sum();
            assertTrue(plan.prefilledTokens() <= total);
        }
    }

    @Test
    void lookAheadPromptsCutSharedSegmentsButGetNoLeaves() {
        int[] instruction = seq(1, 20), docA = seq(200, 30), docB = seq(300, 30);
        int[] row = cat(instruction, docA, seq(900, 3));
        // alone, the row is one leaf; with its group waiting behind it, instruction + docA is a shared segment
        assertEquals(1, new PrefixPlanner(4).plan(List.of(row)).segments().size());
        PrefixPlan plan = new PrefixPlanner(4).plan(List.of(row),
                List.of(cat(instruction, docA, seq(950, 3)), cat(instruction, docB, seq(960, 3)), seq(5000, 10)));
        assertEquals(1, plan.sequenceCount());
        assertEquals(List.of(instruction.length, docA.length, 3), plan.path(0).stream().map(Segment::length).toList());
        assertTrue(plan.leaf(0).ancestors().stream().allMatch(Segment::shared));
        assertEquals(3, plan.segments().size(), "no segment for the look-ahead rows' own parts");
        assertEquals(instruction.length + docA.length, plan.sharedTokens(0));
    }
}
