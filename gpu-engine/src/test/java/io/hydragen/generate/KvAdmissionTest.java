package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.PrefixPlanner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Admission control without a backend: sub-batches that fit, groups kept together, rows too large alone rejected. */
class KvAdmissionTest {
    private static final PrefixPlanner PLANNER = new PrefixPlanner(4);

    /** Two groups of 4 rows (30-token shared prefix + 2 own tokens each), then 2 unrelated rows; sorted like the engine sorts. */
    private static List<int[]> prompts() {
        List<int[]> p = new ArrayList<>();
        for (int g = 0; g < 2; g++) for (int i = 0; i < 4; i++) p.add(KvSizingTest.concat(KvSizingTest.seq(1000 * (g + 1), 30), new int[] {i, i}));
        p.add(new int[] {5000, 1, 2, 3});
        p.add(new int[] {6000, 1, 2, 3, 4, 5});
        p.sort(Arrays::compare);
        return p;
    }

    private static int[] lengths(List<int[]> p) { return p.stream().mapToInt(a -> a.length).toArray(); }

    private static int[] reserve(List<int[]> p, int r) { int[] a = new int[p.size()]; Arrays.fill(a, r); return a; }

    @Test
    void withoutABudgetOnlyTheBatchSizeCuts() {
        List<int[]> p = prompts();
        KvAdmission.Packing k = KvAdmission.pack(PLANNER.plan(p), lengths(p), reserve(p, 8), false, Long.MAX_VALUE, 3);
        assertEquals(List.of(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6, 7, 8), List.of(9)), k.batches());
        assertTrue(k.rejected().isEmpty());
    }

    @Test
    void aGroupThatFitsAloneIsNotSplitAndEverySubBatchFits() {
        List<int[]> p = prompts();
        // a group: 30 shared + 4 × (2 own + 8 new) = 70 slots; two groups (140) do not fit 100
        long budget = 100;
        KvAdmission.Packing k = KvAdmission.pack(PLANNER.plan(p), lengths(p), reserve(p, 8), false, budget, 256);
        assertEquals(List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7, 8, 9)), k.batches());
        assertFits(p, reserve(p, 8), false, budget, k);
    }

    @Test
    void rowsThatCannotFitAloneAreRejectedWithTheirNeed() {
        List<int[]> p = prompts();
        int[] r = reserve(p, 8);
        r[9] = 200;  // the 6-token row wants 200 new tokens
        KvAdmission.Packing k = KvAdmission.pack(PLANNER.plan(p), lengths(p), r, false, 100, 256);
        assertEquals(java.util.Map.of(9, 206L), k.rejected());
        assertFits(p, r, false, 100, k);
        // per-sequence attention also holds a private copy of every context: the need doubles
        KvAdmission.Packing ps = KvAdmission.pack(PLANNER.plan(p), lengths(p), reserve(p, 8), true, 100, 256);
        assertEquals(java.util.Map.of(), ps.rejected());
        assertFits(p, reserve(p, 8), true, 100, ps);
        KvAdmission.Packing tight = KvAdmission.pack(PLANNER.plan(p), lengths(p), reserve(p, 8), true, 79, 256);
        assertEquals(8, tight.rejected().size(), "a grouped row needs 2 × (32 + 8) = 80 slots alone");
    }

    @Test
    void randomListsAndBudgetsAlwaysPackIntoSubBatchesThatFit() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            List<int[]> p = new ArrayList<>();
            int n = 1 + rnd.nextInt(40);
            for (int i = 0; i < n; i++) {
                int len = 1 + rnd.nextInt(60);
                int[] a = new int[len];
                int alphabet = 1 + rnd.nextInt(3);  // small alphabets make deep shared prefixes, and short folded ones
                for (int j = 0; j < len; j++) a[j] = rnd.nextInt(alphabet);
                p.add(a);
            }
            p.sort(Arrays::compare);
            int[] r = new int[n];
            for (int i = 0; i < n; i++) r[i] = 1 + rnd.nextInt(30);
            boolean perSeq = rnd.nextBoolean();
            long budget = 20 + rnd.nextInt(400);
            PrefixPlanner planner = new PrefixPlanner(1 + rnd.nextInt(8));
            KvAdmission.Packing k = KvAdmission.pack(planner.plan(p), lengths(p), r, perSeq, budget, 1 + rnd.nextInt(16));
            assertFits(planner, p, r, perSeq, budget, k);
        }
    }

    private static void assertFits(List<int[]> p, int[] r, boolean perSeq, long budget, KvAdmission.Packing k) {
        assertFits(PLANNER, p, r, perSeq, budget, k);
    }

    /** Every index once, in order; each sub-batch's own plan fits; a row is rejected exactly when it cannot fit alone. */
    private static void assertFits(PrefixPlanner planner, List<int[]> p, int[] r, boolean perSeq, long budget, KvAdmission.Packing k) {
        List<Integer> seen = new ArrayList<>();
        for (List<Integer> b : k.batches()) {
            assertTrue(!b.isEmpty());
            List<int[]> sub = new ArrayList<>();
            int[] lens = new int[b.size()], res = new int[b.size()];
            for (int i = 0; i < b.size(); i++) { sub.add(p.get(b.get(i))); lens[i] = p.get(b.get(i)).length; res[i] = r[b.get(i)]; }
            long planned = KvSizing.plannedTokens(planner.plan(sub), lens, res, perSeq);
            assertTrue(planned <= budget, "sub-batch " + b + " plans " + planned + " slots over a budget of " + budget);
            seen.addAll(b);
        }
        for (int i = 0; i < p.size(); i++) {
            long alone = (p.get(i).length + (long) r[i]) * (perSeq ? 2 : 1);
            assertEquals(alone > budget, k.rejected().containsKey(i), "row " + i + " needs " + alone + " of " + budget);
            if (k.rejected().containsKey(i)) assertEquals(alone, k.rejected().get(i));
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) if (!k.rejected().containsKey(i)) expected.add(i);
        assertEquals(expected, seen, "every admitted row exactly once, in sorted order");
    }
}
