package io.hydragen.spark.datasource;

import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;

/** Builds the scan; every column is produced (generation cannot skip columns cheaply), so no pruning is offered. */
final class HydragenScanBuilder implements ScanBuilder {
    private final StructType schema;
    private final SourceOptions options;

    HydragenScanBuilder(StructType schema, SourceOptions options) {
        this.schema = schema;
        this.options = options;
    }

    @Override
    public Scan build() { return new HydragenScan(schema, options); }
}
