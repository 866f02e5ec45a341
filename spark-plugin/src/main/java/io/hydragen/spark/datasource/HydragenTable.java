package io.hydragen.spark.datasource;

import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import java.util.Set;

/**
 * The completions of one prompt table: readable in batch. Without a {@code seed} option the table draws its run seed
 * once, so every query over one loaded DataFrame (each plans its own scan) samples the same completions.
 */
final class HydragenTable implements SupportsRead {
    private final StructType schema;
    private final long drawnSeed = io.hydragen.spark.api.GenerateOptions.freshSeed();

    HydragenTable(StructType schema) { this.schema = schema; }

    @Override
    public String name() { return "hydragen"; }

    @Override
    public StructType schema() { return schema; }

    @Override
    public Set<TableCapability> capabilities() { return Set.of(TableCapability.BATCH_READ); }

    @Override
    public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
        return new HydragenScanBuilder(schema, SourceOptions.parse(options.asCaseSensitiveMap(), drawnSeed));
    }
}
