package io.hydragen.spark.partition;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Batching a sorted partition: units stay whole, a unit bigger than a batch is cut, and reading stays lazy. */
class UnitBatcherTest {

    /** Rows are "unit:index" strings. */
    static List<String> rows(int... unitSizes) {
        List<String> r = new ArrayList<>();
        for (int u = 0; u < unitSizes.length; u++) for (int i = 0; i < unitSizes[u]; i++) r.add(u + ":" + i);
        return r;
    }

    static List<List<String>> batches(List<String> rows, int size) {
        List<List<String>> out = new ArrayList<>();
        new UnitBatcher<>(rows.iterator(), s -> Long.parseLong(s.split(":")[0]), size).forEachRemaining(out::add);
        return out;
    }

    static List<String> units(List<String> batch) { return batch.stream().map(s -> s.split(":")[0]).distinct().toList(); }

    @Test
    void packsWholeUnitsWithoutSplittingThem() {
        List<List<String>> b = batches(rows(3, 2, 4, 1), 5);
        assertEquals(List.of(List.of("0", "1"), List.of("2", "3")), b.stream().map(UnitBatcherTest::units).toList());
        assertEquals(List.of(5, 5), b.stream().map(List::size).toList());
    }

    @Test
    void cutsAUnitBiggerThanABatchAndPacksItsRestWithTheNext() {
        List<List<String>> b = batches(rows(6, 2), 4);
        assertEquals(List.of(4, 4), b.stream().map(List::size).toList());
        assertEquals(List.of("0", "1"), units(b.get(1)), "the rest of unit 0 shares a batch with unit 1");
        assertEquals(rows(6, 2), b.stream().flatMap(List::stream).toList(), "every row once, in order");
        // a rest that does not fit with the next unit is a batch of its own, as a batch-sized slice would be
        assertEquals(List.of(4, 3, 2), batches(rows(7, 2), 4).stream().map(List::size).toList());
    }

    @Test
    void readsAtMostOneUnitAhead() {
        List<String> all = rows(2, 2, 2, 2);
        int[] read = {0};
        Iterator<String> counting = new Iterator<>() {
            final Iterator<String> it = all.iterator();
            public boolean hasNext() { return it.hasNext(); }
            public String next() { read[0]++; return it.next(); }
        };
        UnitBatcher<String> b = new UnitBatcher<>(counting, s -> Long.parseLong(s.split(":")[0]), 2);
        assertEquals(2, b.next().size());
        assertTrue(read[0] <= 3, "read " + read[0] + " rows for the first batch");
    }

    @Test
    void duplicateOrdinalsCountAdjacentEqualPrompts() {
        DuplicateCounter c = new DuplicateCounter();
        assertEquals(0, c.ordinal(DuplicateCounter.COUNT_IN_TASK, 1, "a"));
        assertEquals(1, c.ordinal(DuplicateCounter.COUNT_IN_TASK, 1, "a"));
        assertEquals(0, c.ordinal(DuplicateCounter.COUNT_IN_TASK, 1, "b"));
        assertEquals(0, c.ordinal(DuplicateCounter.COUNT_IN_TASK, 2, "b"), "same prompt in another group starts again");
        assertEquals(7, c.ordinal(7, 2, "b"), "an ordinal from a window is kept");
    }
}
