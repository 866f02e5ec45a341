package io.hydragen.spark.datasource;

import io.hydragen.generate.Completion;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.exec.BatchRunner;
import io.hydragen.spark.exec.OutputRow;
import io.hydragen.spark.exec.PromptRow;
import io.hydragen.spark.exec.RoutedLayout;
import io.hydragen.spark.exec.RowSeeds;
import io.hydragen.spark.partition.DuplicateCounter;
import io.hydragen.spark.partition.UnitBatcher;
import io.hydragen.spark.plugin.ExecutorEngines;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

import java.util.List;

/**
 * Generates one prefix-group partition: reads its staged rows, batches them by unit, runs the executor's engine,
 * and returns each input row (as staged) followed by the output columns, one row per sample.
 */
final class HydragenPartitionReader implements PartitionReader<InternalRow> {
    private final GenerateOptions options;
    private final RoutedLayout layout;
    private final StructType routedSchema;
    private final UnitBatcher<UnsafeRow> batches;
    private BatchRunner runner;
    private List<UnsafeRow> batch = List.of();
    private List<List<Completion>> results = List.of();
    private int row = -1;
    private int sample;
    private InternalRow current;
    private final DuplicateCounter duplicates = new DuplicateCounter();

    HydragenPartitionReader(PromptGroupPartition partition, GenerateOptions options, RoutedLayout layout, StructType routedSchema) {
        this.options = options;
        this.layout = layout;
        this.routedSchema = routedSchema;
        this.batches = new UnitBatcher<>(StagedPartitions.read(partition, routedSchema.size()),
                r -> r.getLong(layout.unit()), options.batchSize());
    }

    @Override
    public boolean next() {
        if (row >= 0 && ++sample < results.get(row).size()) {
            current = output(batch.get(row), results.get(row).get(sample));
            return true;
        }
        sample = 0;
        row++;
        while (row >= batch.size()) {
            if (!batches.hasNext()) return false;
            if (runner == null) runner = new BatchRunner(ExecutorEngines.acquire(options), options);
            batch = batches.next();
            results = runner.run(batch.stream().map(this::promptRow).toList());
            row = 0;
        }
        current = output(batch.get(row), results.get(row).get(0));
        return true;
    }

    @Override
    public InternalRow get() { return current; }

    @Override
    public void close() {}

    private PromptRow promptRow(UnsafeRow r) {
        String prompt = r.isNullAt(layout.prompt()) ? null : r.getUTF8String(layout.prompt()).toString();
        long unit = r.getLong(layout.unit());
        long dup = duplicates.ordinal(r.getLong(layout.duplicateOrdinal()), unit, prompt);
        long seed = !r.isNullAt(layout.identity())
                ? RowSeeds.forId(options.seed(), r.getUTF8String(layout.identity()).toString())
                : RowSeeds.forPrompt(options.seed(), prompt, dup);
        return new PromptRow(prompt, seed, unit);
    }

    private InternalRow output(UnsafeRow in, Completion c) {
        Object[] inputs = new Object[layout.inputColumns()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = in.isNullAt(i) ? null : in.get(i, routedSchema.fields()[i].dataType());
        }
        Object[] v = OutputRow.values(inputs, c, options.n());
        // the output columns as Spark's internal types: strings as UTF8String
        for (int i = inputs.length; i < v.length; i++) if (v[i] instanceof String s) v[i] = UTF8String.fromString(s);
        return new GenericInternalRow(v);
    }
}
