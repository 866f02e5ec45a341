package io.hydragen.spark.exec;

import io.hydragen.seed.RowSeeds;

import io.hydragen.generate.Completion;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.partition.DuplicateCounter;
import io.hydragen.spark.partition.UnitBatcher;
import io.hydragen.spark.plugin.EngineLease;
import io.hydragen.spark.plugin.ExecutorEngines;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * The generation loop of one routed partition, shared by the DataFrame path ({@link GeneratePartitionFunction}) and
 * the DataSource reader: cuts the rows into unit-preserving batches ({@link UnitBatcher}), gives each row its seed
 * ({@link RowSeeds}, with {@link DuplicateCounter} ordinals), runs each batch through the executor's engine
 * ({@link FaultIsolatingRunner}), and yields (input row, completion) pairs, one per sample. Lazy: a batch is generated when
 * the consumer asks for its first row. The engine is leased at the first batch and released when the rows run out,
 * on {@link #close}, or when the task completes, whichever comes first; between batches a cancelled task stops.
 *
 * <p>Continuous scheduling ({@link GenerateOptions#continuous()}): the rows go to the engine's
 * {@link io.hydragen.generate.Engine#stream} in slices of {@value #STREAM_SLICE_BATCHES} unit-preserving batches,
 * pulled from the input only as the slice is built, and the samples come out in the order they finished
 * ({@link FaultIsolatingRunner#stream}). Why slices and not one stream over the whole partition: {@code stream} pushes its
 * completions to a callback and returns only when its input runs out, while this iterator is pulled by Spark on the
 * task thread. One stream over the whole partition would need the engine on a second thread handing rows over a
 * queue, and that thread would hold the engine's lock, receive the task's interrupt second-hand and read the input
 * outside the task's {@code TaskContext}. Run slice by slice on the task thread instead, the engine sees the task's
 * interrupt directly (a cancelled task stops within one forward pass), {@link TaskCancellation} and the bad-row isolation
 * of {@link FaultIsolatingRunner} apply unchanged, and memory stays bounded by one slice (its input rows and finished
 * samples, released when the slice has been yielded), whatever the partition's size. Within a slice the running
 * batch is kept full, so the drain at the end of a batch is paid once per slice rather than once per batch.
 *
 * @param <T> the row type (Spark {@code Row} or {@code InternalRow})
 */
public final class PartitionGenerator<T> implements Iterator<PartitionGenerator.Generated<T>>, AutoCloseable {

    /** How to read the routing columns of a row of type {@code T}. */
    public interface RowAccess<T> {
        /** The prompt, or null. */
        String prompt(T row);

        /** The id column's value as a string, or null when there is no id column or the cell is null. */
        String identity(T row);

        long duplicateOrdinal(T row);

        long unit(T row);

        /** The row's own settings as JSON ({@link io.hydragen.spark.partition.RoutingColumns#SETTINGS}), or null. */
        default String settings(T row) { return null; }

        /** The row's malformed input line when the reader could not parse it ({@link CorruptRecords}), else null. */
        default String corruptRecord(T row) { return null; }
    }

    /**
     * One output sample: the input row it answers, its completion, and the seed its row's samples used (null for a
     * row that never reached the engine: no usable prompt), as {@code bin/hydragen generate} records it.
     */
    public record Generated<T>(T input, Completion completion, Long seed) {}

    /** Unit-preserving batches per continuous slice (one {@code Engine.stream} call). */
    public static final int STREAM_SLICE_BATCHES = 2;

    private final GenerateOptions options;
    private final RowAccess<T> access;
    private final UnitBatcher<T> batches;
    private final Supplier<EngineLease> engines;
    private final DuplicateCounter duplicates = new DuplicateCounter();
    private EngineLease lease;
    private FaultIsolatingRunner runner;
    private List<T> batch = List.of();
    private List<BatcherRow> batchRows = List.of();   // the batch's rows as the runner saw them (their seeds)
    private List<List<Completion>> results = List.of();
    private List<FaultIsolatingRunner.Finished> finished = List.of();   // continuous: the slice's samples, in finishing order
    private int row;
    private int sample;
    private int sampleCursor;
    private boolean closed;

    public PartitionGenerator(Iterator<T> input, RowAccess<T> access, GenerateOptions options) {
        this(input, access, options, () -> ExecutorEngines.acquire(options));
    }

    public PartitionGenerator(Iterator<T> input, RowAccess<T> access, GenerateOptions options, Supplier<EngineLease> engines) {
        this.options = options;
        this.access = access;
        this.engines = engines;
        this.batches = new UnitBatcher<>(input, access::unit, options.batchSize());
        TaskContext tc = TaskContext.get();
        if (tc != null) tc.addTaskCompletionListener((TaskCompletionListener) ctx -> close());
    }

    @Override
    public boolean hasNext() {
        while (row >= batch.size()) {
            if (closed || !batches.hasNext()) {
                close();
                return false;
            }
            TaskCancellation.check();
            List<T> next = batches.next();
            if (runner == null) {
                lease = engines.get();
                EngineLease l = lease;
                runner = new FaultIsolatingRunner(l::generate, l::stream, options, modelDefaults(l));
            }
            if (options.continuous()) {
                List<T> slice = new java.util.ArrayList<>(next);
                for (int k = 1; k < STREAM_SLICE_BATCHES && batches.hasNext(); k++) slice.addAll(batches.next());
                batchRows = slice.stream().map(this::promptRow).toList();
                finished = runner.stream(batchRows);
                batch = slice;
                sampleCursor = 0;
                if (finished.isEmpty()) { batch = List.of(); continue; }
                row = 0;
                return true;
            }
            batchRows = next.stream().map(this::promptRow).toList();
            results = runner.run(batchRows);
            batch = next;
            row = 0;
            sample = 0;
        }
        return true;
    }

    @Override
    public Generated<T> next() {
        if (!hasNext()) throw new NoSuchElementException();
        if (options.continuous()) {
            FaultIsolatingRunner.Finished f = finished.get(sampleCursor++);
            Generated<T> g = generated(f.row(), f.completion());
            if (sampleCursor >= finished.size()) {
                batch = List.of();   // the slice is out: release its rows
                batchRows = List.of();
                finished = List.of();
                row = 0;
            }
            return g;
        }
        List<Completion> samples = results.get(row);
        Generated<T> g = generated(row, samples.get(sample));
        if (++sample >= samples.size()) {
            row++;
            sample = 0;
        }
        return g;
    }

    private Generated<T> generated(int i, Completion c) {
        return new Generated<>(batch.get(i), c, FaultIsolatingRunner.reachedEngine(c) ? batchRows.get(i).seed() : null);
    }

    /** The leased model's generation_config.json defaults (none for a test's stand-in lease without an engine). */
    private io.hydragen.generate.GenerationDefaults modelDefaults(EngineLease l) {
        try {
            return options.generationDefaults(l.engine());
        } catch (RuntimeException e) {
            return io.hydragen.generate.GenerationDefaults.NONE;
        }
    }

    private BatcherRow promptRow(T r) {
        String prompt = access.prompt(r);
        long unit = access.unit(r);
        long dup = duplicates.ordinal(access.duplicateOrdinal(r), unit, prompt);
        // a line Spark could only partly parse keeps its prompt (a field of another type failed): that row is answered
        String corrupt = prompt == null ? access.corruptRecord(r) : null;
        return new BatcherRow(prompt, options.rowSeed(access.identity(r), prompt, dup), unit, access.settings(r),
                corrupt == null ? null : CorruptRecords.message(corrupt));
    }

    /** Releases the engine (idempotent); no more rows are generated after it. */
    @Override
    public synchronized void close() {
        closed = true;
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    /** Whether this partition still holds the engine (tests). */
    public synchronized boolean holdsEngine() { return lease != null; }
}
