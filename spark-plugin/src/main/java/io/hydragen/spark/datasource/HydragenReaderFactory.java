package io.hydragen.spark.datasource;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.exec.RoutedLayout;
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
        return new HydragenPartitionReader((PromptGroupPartition) partition, options, layout, routedSchema);
    }
}
