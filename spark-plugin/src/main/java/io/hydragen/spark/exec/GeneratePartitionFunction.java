package io.hydragen.spark.exec;

import io.hydragen.spark.api.GenerateOptions;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;

import java.util.Collections;
import java.util.Iterator;

/**
 * The task body of {@code Hydragen.generate}: a {@link PartitionGenerator} over the routed partition, emitting the
 * input columns followed by the output columns. Lazy: a partition never sits in memory whole.
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
        PartitionGenerator<Row> generated = new PartitionGenerator<>(input, layout.rows(), options);
        return new Iterator<>() {
            @Override
            public boolean hasNext() { return generated.hasNext(); }

            @Override
            public Row next() {
                PartitionGenerator.Generated<Row> g = generated.next();
                Object[] values = SampleRow.values(layout.inputValues(g.input()), g.completion(), g.seed(), options.n(), options.chat());
                return new GenericRowWithSchema(LogprobValues.append(values, g.completion(), options, true), outputSchema);
            }
        };
    }
}
