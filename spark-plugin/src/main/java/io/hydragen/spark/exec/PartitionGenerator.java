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
 * <p>Continuous scheduling ({@link GenerateOptions#continuous()}): the partition's rows are one stream through the
 * engine's continuous scheduler ({@link ContinuousRows}), read from the input only as the running batch makes room,
 * each row yielded as soon as it has finished, so memory holds the rows in flight (at most three batches), whatever
 * the partition's size, and the running batch is drained only once, at the end of the partition.
 *
 * @param <T> the row type (Spark {@code Row} or {@code InternalRow})
 */
public final class PartitionGenerator<T> implements Iterator<PartitionGenerator.Generated<T>>, AutoCloseable {

    /** How to read the routing columns of a row of type {@code T}. */
    public interface RowAccess<T> {
        /** The prompt, or null. */
        String prompt(T row);

        /** Whether the prompt cell is set but not valid UTF-8, so that routing handed the row on with no prompt ({@link Utf8Prompts}). */
        default boolean promptNotUtf8(T row) { return false; }

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
    private final Iterator<T> input;
    private ContinuousRows<T> continuous;
    private int row;
    private int sample;
    private boolean closed;

    public PartitionGenerator(Iterator<T> input, RowAccess<T> access, GenerateOptions options) {
        this(input, access, options, () -> ExecutorEngines.acquire(options));
    }

    public PartitionGenerator(Iterator<T> input, RowAccess<T> access, GenerateOptions options, Supplier<EngineLease> engines) {
        this.options = options;
        this.access = access;
        this.engines = engines;
        this.input = input;
        this.batches = new UnitBatcher<>(input, access::unit, options.batchSize());
        TaskContext tc = TaskContext.get();
        if (tc != null) tc.addTaskCompletionListener((TaskCompletionListener) ctx -> close());
    }

    @Override
    public boolean hasNext() {
        if (options.continuous()) return hasNextContinuous();
        while (row >= batch.size()) {
            if (closed || !batches.hasNext()) {
                close();
                return false;
            }
            TaskCancellation.check();
            List<T> next = batches.next();
            startEngine();
            batchRows = next.stream().map(this::promptRow).toList();
            results = runner.run(batchRows);
            batch = next;
            row = 0;
            sample = 0;
        }
        return true;
    }

    private Generated<T> pending;   // continuous: the next sample, taken from the stream by hasNext

    private boolean hasNextContinuous() {
        if (pending != null) return true;
        if (closed || (continuous == null && !input.hasNext())) {
            close();
            return false;
        }
        if (continuous == null) {
            startEngine();
            EngineLease l = lease;
            continuous = new ContinuousRows<>(input, this::promptRow, runner, l::openStream, options.batchOptions(), options.batchSize());
        }
        pending = continuous.poll();
        if (pending == null) close();
        return pending != null;
    }

    /** Leases the engine at the first rows that need it. */
    private void startEngine() {
        if (runner != null) return;
        lease = engines.get();
        EngineLease l = lease;
        runner = new FaultIsolatingRunner(l::generate, options, modelDefaults(l));
    }

    @Override
    public Generated<T> next() {
        if (!hasNext()) throw new NoSuchElementException();
        if (options.continuous()) {
            Generated<T> g = pending;
            pending = null;
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
        return new BatcherRow(prompt, options.rowSeed(access.identity(r), prompt, dup), unit, access.settings(r), problem(r, prompt));
    }

    /** Why a row has no prompt, when its input says more than "null"; else null. */
    private String problem(T r, String prompt) {
        // a line Spark could only partly parse keeps its prompt (a field of another type failed): that row is answered
        if (prompt != null) return null;
        String corrupt = access.corruptRecord(r);
        if (corrupt != null) return CorruptRecords.message(corrupt);
        return access.promptNotUtf8(r) ? Utf8Prompts.MESSAGE : null;
    }

    /** Releases the engine (idempotent); no more rows are generated after it. */
    @Override
    public synchronized void close() {
        closed = true;
        if (continuous != null) continuous.close();
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    /** Whether this partition still holds the engine (tests). */
    public synchronized boolean holdsEngine() { return lease != null; }
}
