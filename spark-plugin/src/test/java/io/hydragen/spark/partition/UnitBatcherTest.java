package io.hydragen.spark.partition;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.function.ToLongFunction;

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

    /** Counts the rows pulled from a list. */
    static final class Counting implements Iterator<String> {
        final Iterator<String> it;
        int pulled;
        Counting(Iterator<String> it) { this.it = it; }
        public boolean hasNext() { return it.hasNext(); }
        public String next() { pulled++; return it.next(); }
    }

    @Test
    void streamsAUnitBiggerThanABatchInsteadOfReadingItWhole() {
        // the one-task path: a whole prefix group is one unit; a million rows of it, batches of 256
        int groupRows = 1_000_000, batch = 256;
        Iterator<String> group = new Iterator<>() {
            int i;
            public boolean hasNext() { return i < groupRows + 3; }
            public String next() {
                if (!hasNext()) throw new NoSuchElementException();
                int k = i++;
                return k < groupRows ? "0:" + k : "1:" + k;
            }
        };
        int[] pulled = {0};
        Iterator<String> counting = new Iterator<>() {
            public boolean hasNext() { return group.hasNext(); }
            public String next() { pulled[0]++; return group.next(); }
        };
        UnitBatcher<String> b = new UnitBatcher<>(counting, s -> Long.parseLong(s.split(":")[0]), batch);
        List<String> first = b.next();
        assertEquals(batch, first.size());
        assertEquals("0:0", first.get(0));
        assertTrue(pulled[0] <= batch + 1, "pulled " + pulled[0] + " rows for the first batch of " + batch);
        List<String> second = b.next();
        assertEquals("0:" + batch, second.get(0));
        assertTrue(pulled[0] <= 2 * batch + 1, "pulled " + pulled[0] + " rows for two batches");
        long total = 2L * batch;
        List<String> last = null;
        while (b.hasNext()) {
            last = b.next();
            total += last.size();
        }
        assertEquals(groupRows + 3, total);
        // 1,000,000 = 3906 * 256 + 64: the group's rest shares its batch with the next unit
        assertEquals(List.of("0", "1"), units(last));
        assertEquals(67, last.size());
    }

    @Test
    void batchesAreExactlyThoseOfCuttingWholeUnits() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            int batch = 1 + rnd.nextInt(9);
            int[] sizes = new int[rnd.nextInt(12)];
            for (int u = 0; u < sizes.length; u++) sizes[u] = 1 + rnd.nextInt(rnd.nextBoolean() ? batch : 3 * batch + 2);
            List<String> rows = rows(sizes);
            List<List<String>> expected = new ArrayList<>();
            new WholeUnitBatcher<>(rows.iterator(), s -> Long.parseLong(s.split(":")[0]), batch).forEachRemaining(expected::add);
            assertEquals(expected, batches(rows, batch), "units " + java.util.Arrays.toString(sizes) + ", batch " + batch);
            Counting counting = new Counting(rows.iterator());
            UnitBatcher<String> b = new UnitBatcher<>(counting, s -> Long.parseLong(s.split(":")[0]), batch);
            int consumed = 0;
            while (b.hasNext()) {
                consumed += b.next().size();
                assertTrue(counting.pulled <= consumed + batch + 1, "pulled " + counting.pulled + " for " + consumed);
            }
        }
    }

    /** The batcher as it was before streaming: it read each unit whole. The reference for the batches' contents. */
    static final class WholeUnitBatcher<T> implements Iterator<List<T>> {
        private final Iterator<T> rows;
        private final ToLongFunction<T> unitOf;
        private final int batchSize;
        private final List<T> nextUnit = new ArrayList<>();
        private T lookahead;
        private boolean hasLookahead;

        WholeUnitBatcher(Iterator<T> rows, ToLongFunction<T> unitOf, int batchSize) {
            this.rows = rows;
            this.unitOf = unitOf;
            this.batchSize = batchSize;
        }

        public boolean hasNext() { return !nextUnit.isEmpty() || hasLookahead || rows.hasNext(); }

        public List<T> next() {
            List<T> batch = new ArrayList<>(batchSize);
            while (true) {
                if (nextUnit.isEmpty()) readUnit();
                if (nextUnit.isEmpty()) return batch;
                if (batch.size() + nextUnit.size() <= batchSize) {
                    batch.addAll(nextUnit);
                    nextUnit.clear();
                    if (batch.size() == batchSize) return batch;
                } else if (batch.isEmpty()) {
                    List<T> slice = nextUnit.subList(0, batchSize);
                    batch.addAll(slice);
                    slice.clear();
                    return batch;
                } else {
                    return batch;
                }
            }
        }

        private void readUnit() {
            T first;
            if (hasLookahead) {
                first = lookahead;
                hasLookahead = false;
            } else if (rows.hasNext()) {
                first = rows.next();
            } else {
                return;
            }
            long unit = unitOf.applyAsLong(first);
            nextUnit.add(first);
            while (rows.hasNext()) {
                T r = rows.next();
                if (unitOf.applyAsLong(r) != unit) {
                    lookahead = r;
                    hasLookahead = true;
                    return;
                }
                nextUnit.add(r);
            }
        }
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
