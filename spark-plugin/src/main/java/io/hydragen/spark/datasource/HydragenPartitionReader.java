package io.hydragen.spark.datasource;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.exec.SampleRow;
import io.hydragen.spark.exec.PartitionGenerator;
import io.hydragen.spark.exec.RoutedLayout;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

import java.util.Iterator;

/**
 * Generates one prefix-group partition: a {@link PartitionGenerator} over its staged rows, returning each input row
 * (as staged) followed by the output columns, one row per sample. {@link #close} releases the engine.
 */
final class HydragenPartitionReader implements PartitionReader<InternalRow> {
    private final GenerateOptions options;
    private final RoutedLayout layout;
    private final StructType routedSchema;
    private final PartitionGenerator<InternalRow> generated;
    private InternalRow current;

    HydragenPartitionReader(PromptGroupPartition partition, GenerateOptions options, RoutedLayout layout, StructType routedSchema) {
        this.options = options;
        this.layout = layout;
        this.routedSchema = routedSchema;
        Iterator<UnsafeRow> rows = StagedPartitions.read(partition, routedSchema.size());
        @SuppressWarnings({"unchecked", "rawtypes"})
        Iterator<InternalRow> input = (Iterator) rows;
        this.generated = new PartitionGenerator<>(input, layout.internalRows(), options);
        org.apache.spark.sql.types.DataType parsedType = options.parsedType();
        // Spark's own from_json evaluation, so the DataSource's parsed column equals Hydragen.generate's
        this.parser = parsedType == null ? null : org.apache.spark.sql.catalyst.expressions.json.JsonToStructsEvaluator.apply(
                scala.collection.immutable.Map$.MODULE$.empty(), parsedType.asNullable(), "_corrupt_record", scala.Option.apply("UTC"), false);
    }

    private final org.apache.spark.sql.catalyst.expressions.json.JsonToStructsEvaluator parser;

    @Override
    public boolean next() {
        if (!generated.hasNext()) return false;
        PartitionGenerator.Generated<InternalRow> g = generated.next();
        current = output(g.input(), g);
        return true;
    }

    @Override
    public InternalRow get() { return current; }

    /** Releases the engine this reader leased (if any batch ran). */
    @Override
    public void close() { generated.close(); }

    /** Whether this reader still holds an engine lease (tests). */
    boolean holdsEngine() { return generated.holdsEngine(); }

    private InternalRow output(InternalRow in, PartitionGenerator.Generated<InternalRow> g) {
        Object[] inputs = new Object[layout.inputColumns()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = in.isNullAt(i) ? null : in.get(i, routedSchema.fields()[i].dataType());
        }
        Object[] v = SampleRow.values(inputs, g.completion(), g.seed(), options.n(), options.chat());
        // the output columns as Spark's internal types: strings as UTF8String
        for (int i = inputs.length; i < v.length; i++) if (v[i] instanceof String s) v[i] = UTF8String.fromString(s);
        v = io.hydragen.spark.exec.LogprobValues.append(v, g.completion(), options, false);
        if (parser == null) return new GenericInternalRow(v);
        Object[] withParsed = java.util.Arrays.copyOf(v, v.length + 1);
        io.hydragen.generate.Completion c = g.completion();
        if (c.finishReason() == io.hydragen.generate.FinishReason.STOP) withParsed[v.length] = parser.evaluate(UTF8String.fromString(c.text()));
        return new GenericInternalRow(withParsed);
    }
}
