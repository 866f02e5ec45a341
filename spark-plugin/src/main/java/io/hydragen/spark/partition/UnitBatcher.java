package io.hydragen.spark.partition;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.ToLongFunction;

/**
 * Cuts a partition's rows, sorted so that rows of one routing unit are adjacent, into batches of at most
 * {@code batchSize} rows without splitting a unit across two batches: a unit is a prefix group (or a batch-sized
 * slice of a big one), and keeping it whole is what lets the engine prefill its shared prefix once.
 * Only a unit larger than a batch (which routing avoids) is cut, into full batches.
 *
 * <p>Lazy: it reads ahead at most one unit beyond the batch it returns (it must see the next unit to know whether
 * it fits), so a partition is never held in memory whole.
 */
public final class UnitBatcher<T> implements Iterator<List<T>> {
    private final Iterator<T> rows;
    private final ToLongFunction<T> unitOf;
    private final int batchSize;
    private final List<T> nextUnit = new ArrayList<>();
    private T lookahead;
    private boolean hasLookahead;

    public UnitBatcher(Iterator<T> rows, ToLongFunction<T> unitOf, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1");
        this.rows = rows;
        this.unitOf = unitOf;
        this.batchSize = batchSize;
    }

    @Override
    public boolean hasNext() { return !nextUnit.isEmpty() || hasLookahead || rows.hasNext(); }

    @Override
    public List<T> next() {
        if (!hasNext()) throw new NoSuchElementException();
        List<T> batch = new ArrayList<>(batchSize);
        while (true) {
            if (nextUnit.isEmpty()) readUnit();
            if (nextUnit.isEmpty()) return batch;
            if (batch.size() + nextUnit.size() <= batchSize) {
                batch.addAll(nextUnit);
                nextUnit.clear();
                if (batch.size() == batchSize) return batch;
            } else if (batch.isEmpty()) {
                // a unit bigger than a batch: emit a full slice of it and keep the rest for the next batch
                List<T> slice = nextUnit.subList(0, batchSize);
                batch.addAll(slice);
                slice.clear();
                return batch;
            } else {
                return batch;
            }
        }
    }

    /** Reads the next run of rows with equal unit into {@link #nextUnit}. */
    private void readUnit() {
        T first;
        if (hasLookahead) {
            first = lookahead;
            hasLookahead = false;
            lookahead = null;
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
