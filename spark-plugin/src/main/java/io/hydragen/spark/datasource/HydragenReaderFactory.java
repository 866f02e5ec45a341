package io.hydragen.spark.datasource;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.exec.RoutedLayout;
import io.hydragen.spark.exec.Utf8Prompts;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.types.StructType;

/** Sent to executors: makes a {@link HydragenPartitionReader} for each prefix-group partition. */
record HydragenReaderFactory(GenerateOptions options, RoutedLayout layout, StructType routedSchema)
        implements PartitionReaderFactory {

    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
        StructType input = new StructType(java.util.Arrays.copyOf(routedSchema.fields(), layout.inputColumns()));
        HydragenPartitionReader reader = new HydragenPartitionReader((PromptGroupPartition) partition, options, layout, routedSchema);
        return options.chat() ? reader : Utf8Prompts.flag(reader, input, options.promptColumn());
    }
}
