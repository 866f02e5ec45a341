package io.hydragen.spark.exec;

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
 * ({@link BatchRunner}), and yields (input row, completion) pairs, one per sample. Lazy: a batch is generated when
 * the consumer asks for its first row. The engine is leased at the first batch and released when the rows run out,
 * on {@link #close}, or when the task completes, whichever comes first; between batches a cancelled task stops.
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
    }

    /** One output sample: the input row it answers and its completion. */
    public record Generated<T>(T input, Completion completion) {}

    private final GenerateOptions options;
    private final RowAccess<T> access;
    private final UnitBatcher<T> batches;
    private final Supplier<EngineLease> engines;
    private final DuplicateCounter duplicates = new DuplicateCounter();
    private EngineLease lease;
    private BatchRunner runner;
    private List<T> batch = List.of();
    private List<List<Completion>> results = List.of();
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
            Cancellation.check();
            List<T> next = batches.next();
            if (runner == null) {
                lease = engines.get();
                runner = new BatchRunner(lease::generate, options, modelDefaults(lease));
            }
            List<PromptRow> prompts = next.stream().map(this::promptRow).toList();
            results = runner.run(prompts);
            batch = next;
            row = 0;
            sample = 0;
        }
        return true;
    }

    @Override
    public Generated<T> next() {
        if (!hasNext()) throw new NoSuchElementException();
        T in = batch.get(row);
        List<Completion> samples = results.get(row);
        Completion c = samples.get(sample);
        if (++sample >= samples.size()) {
            row++;
            sample = 0;
        }
        return new Generated<>(in, c);
    }

    /** The leased model's generation_config.json defaults (none for a test's stand-in lease without an engine). */
    private io.hydragen.generate.GenerationDefaults modelDefaults(EngineLease l) {
        try {
            return options.generationDefaults(l.engine());
        } catch (RuntimeException e) {
            return io.hydragen.generate.GenerationDefaults.NONE;
        }
    }

    private PromptRow promptRow(T r) {
        String prompt = access.prompt(r);
        long unit = access.unit(r);
        long dup = duplicates.ordinal(access.duplicateOrdinal(r), unit, prompt);
        return new PromptRow(prompt, RowSeeds.forRow(options.seed(), access.identity(r), prompt, dup), unit);
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
