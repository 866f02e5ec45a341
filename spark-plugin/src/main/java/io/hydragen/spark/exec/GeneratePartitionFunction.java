package io.hydragen.spark.exec;

import io.hydragen.generate.Completion;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.partition.DuplicateCounter;
import io.hydragen.spark.partition.UnitBatcher;
import io.hydragen.spark.plugin.ExecutorEngines;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The task body of {@code Hydragen.generate}: reads a routed partition, cuts it into unit-preserving batches, runs
 * each through this executor's engine, and emits the input columns followed by the output columns. Lazy: a batch is
 * generated when the consumer asks for its first row, so a partition never sits in memory whole.
 */
public final class GeneratePartitionFunction implements MapPartitionsFunction<Row, Row> {
    private final GenerateOptions options;
    private final RoutedLayout layout;
    private final StructType outputSchema;

    /** @param outputSchema given to each output row, so that typed operations after this one can read fields by name */
    public GeneratePartitionFunction(GenerateOptions options, RoutedLayout layout, StructType outputSchema) {
        this.options = options;
        this.layout = layout;
        this.outputSchema = outputSchema;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        if (!input.hasNext()) return Collections.emptyIterator();
        BatchRunner runner = new BatchRunner(ExecutorEngines.acquire(options), options);
        DuplicateCounter duplicates = new DuplicateCounter();
        UnitBatcher<Row> batches = new UnitBatcher<>(input, r -> r.getLong(layout.unit()), options.batchSize());
        return new Iterator<>() {
            private List<Row> batch = List.of();
            private List<List<Completion>> results = List.of();
            private int row;
            private int sample;

            @Override
            public boolean hasNext() {
                while (row >= batch.size()) {
                    if (!batches.hasNext()) return false;
                    batch = batches.next();
                    results = runner.run(batch.stream().map(r -> layout.promptRow(r, options, duplicates)).toList());
                    row = 0;
                    sample = 0;
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                Row in = batch.get(row);
                List<Completion> samples = results.get(row);
                Completion c = samples.get(sample);
                if (++sample >= samples.size()) {
                    row++;
                    sample = 0;
                }
                return new GenericRowWithSchema(OutputRow.values(layout.inputValues(in), c, options.n()), outputSchema);
            }
        };
    }
}
