package io.hydragen.spark.datasource;

import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import java.util.Set;

/** The completions of one prompt table: readable in batch. */
final class HydragenTable implements SupportsRead {
    private final StructType schema;

    HydragenTable(StructType schema) { this.schema = schema; }

    @Override
    public String name() { return "hydragen"; }

    @Override
    public StructType schema() { return schema; }

    @Override
    public Set<TableCapability> capabilities() { return Set.of(TableCapability.BATCH_READ); }

    @Override
    public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
        return new HydragenScanBuilder(schema, SourceOptions.parse(options.asCaseSensitiveMap()));
    }
}
