package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.backend.AllocationException;
import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.PrefixPlanner;
import io.hydragen.plan.Segment;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** KV sizing without a backend: generation slots capped at the context, segment capacities, budgets, messages. */
class KvSizingTest {

    @Test
    void generationSlotsAreCappedAtTheContextWithoutOverflow() {
        assertEquals(4086, KvSizing.reservedNewTokens(10, Integer.MAX_VALUE, 4096));
        assertEquals(4086, KvSizing.reservedNewTokens(10, 100_000_000, 4096));
        assertEquals(5, KvSizing.reservedNewTokens(10, 5, 4096));
        assertEquals(1, KvSizing.reservedNewTokens(4095, 5, 4096));
        assertEquals(0, KvSizing.reservedNewTokens(4096, 5, 4096));
        assertEquals(0, KvSizing.reservedNewTokens(10, 0, 4096));
        assertEquals(Integer.MAX_VALUE - 1, KvSizing.reservedNewTokens(1, Integer.MAX_VALUE, Integer.MAX_VALUE));
    }

    @Test
    void leavesReserveTheirGenerationSlotsAndSharedSegmentsAreCountedOnce() {
        int[] prefix = seq(0, 20);
        List<int[]> prompts = List.of(concat(prefix, new int[] {100, 101}), concat(prefix, new int[] {102}), new int[] {7, 8, 9});
        PrefixPlan plan = new PrefixPlanner(4).plan(prompts);
        int[] reserved = {5, 6, 7};
        Map<Segment, Integer> caps = KvSizing.capacities(plan, reserved);
        assertEquals(2 + 5, caps.get(plan.leaf(0)));
        assertEquals(1 + 6, caps.get(plan.leaf(1)));
        assertEquals(3 + 7, caps.get(plan.leaf(2)));
        assertEquals(20, caps.get(plan.leaf(0).parent()));
        assertEquals(20 + 7 + 7 + 10, KvSizing.plannedTokens(plan, new int[] {22, 21, 3}, reserved, false));
        // per-sequence: plus a private copy of each whole context
        assertEquals(44 + (22 + 5) + (21 + 6) + (3 + 7), KvSizing.plannedTokens(plan, new int[] {22, 21, 3}, reserved, true));
    }

    @Test
    void budgetsAndMessages() {
        assertEquals(Long.MAX_VALUE, KvSizing.budgetTokens(0, 512));
        assertEquals(2, KvSizing.budgetTokens(1500, 512));
        assertEquals(Long.MAX_VALUE, KvSizing.bytes(Long.MAX_VALUE / 2, 512), "saturates");
        assertEquals("1.0 GiB", AllocationException.formatBytes(1L << 30));
        assertEquals("512 B", AllocationException.formatBytes(512));
        String m = KvSizing.tooLargeMessage(16000, 12000, 4000, 215_000, 1L << 30);
        assertEquals("needs 3.2 GiB of KV cache for 12000 prompt + 4000 new tokens; the KV budget is 1.0 GiB", m);
        assertTrue(m.lines().count() == 1);
    }

    static int[] seq(int from, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = from + i;
        return a;
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
