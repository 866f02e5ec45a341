package io.hydragen.spark.partition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.ToLongFunction;

/**
 * Cuts a partition's rows, sorted so that rows of one routing unit are adjacent, into batches of at most
 * {@code batchSize} rows without splitting a unit across two batches: a unit is a prefix group (or a batch-sized
 * slice of a big one), and keeping it whole is what lets the engine prefill its shared prefix once.
 * Only a unit larger than a batch is cut, into full batches, its rest packed with the units after it. Units larger
 * than a batch are the rule on the one-task path, where a whole prefix group is one unit.
 *
 * <p>Streaming: to return a batch it reads at most {@code batchSize + 1} rows beyond what earlier batches consumed
 * (a unit is read only as far as needed to know whether it fits the room left in the batch, never to its end), so
 * neither a partition nor a big unit is ever held in memory whole. The batches are exactly those of cutting each
 * whole unit: a unit that fits the room left joins the batch; one that does not ends the batch, unless the batch is
 * empty, in which case the first {@code batchSize} rows of the unit are a batch of their own. Rows must not be null.
 */
public final class UnitBatcher<T> implements Iterator<List<T>> {
    private final Iterator<T> rows;
    private final ToLongFunction<T> unitOf;
    private final int batchSize;
    /** The rows read so far of the unit in progress (a prefix of what is left of it). */
    private final ArrayDeque<T> pending = new ArrayDeque<>();
    private long pendingUnit;
    /** Whether the unit in progress has been read to its end (its last row is in {@link #pending}). */
    private boolean pendingComplete = true;
    private T lookahead;
    private boolean hasLookahead;

    public UnitBatcher(Iterator<T> rows, ToLongFunction<T> unitOf, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1");
        this.rows = rows;
        this.unitOf = unitOf;
        this.batchSize = batchSize;
    }

    @Override
    public boolean hasNext() { return !pending.isEmpty() || hasLookahead || rows.hasNext(); }

    @Override
    public List<T> next() {
        if (!hasNext()) throw new NoSuchElementException();
        List<T> batch = new ArrayList<>(batchSize);
        while (batch.size() < batchSize) {
            if (pending.isEmpty() && pendingComplete && !startUnit()) break;
            int room = batchSize - batch.size();
            // read the unit only until it is known not to fit the room left (room + 1 rows) or it ends
            while (!pendingComplete && pending.size() <= room) readRow();
            if (pendingComplete && pending.size() <= room) {
                batch.addAll(pending);
                pending.clear();
            } else if (batch.isEmpty()) {
                // a unit bigger than a batch: a full slice of it now, the rest later
                for (int i = 0; i < batchSize; i++) batch.add(pending.poll());
                break;
            } else {
                break;
            }
        }
        return batch;
    }

    /** Starts the next unit with its first row; false at the end of the input. */
    private boolean startUnit() {
        T first;
        if (hasLookahead) {
            first = lookahead;
            hasLookahead = false;
            lookahead = null;
        } else if (rows.hasNext()) {
            first = rows.next();
        } else {
            return false;
        }
        pendingUnit = unitOf.applyAsLong(first);
        pending.add(first);
        pendingComplete = false;
        return true;
    }

    /** Reads one more row of the unit in progress, or learns that it has ended. */
    private void readRow() {
        if (!rows.hasNext()) {
            pendingComplete = true;
            return;
        }
        T r = rows.next();
        if (unitOf.applyAsLong(r) != pendingUnit) {
            lookahead = r;
            hasLookahead = true;
            pendingComplete = true;
            return;
        }
        pending.add(r);
    }
}
