package io.hydragen.spark.datasource;

import io.hydragen.spark.model.ModelPreflight;
import io.hydragen.spark.partition.PrefixRouter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.types.StructType;


/**
 * Plans the read: checks the model on the driver, routes the prompt table by prefix, stages the routed
 * partitions ({@link StagedPartitions}) and offers one input partition per non-empty prefix-group partition.
 * Planning happens once per scan and is kept, so the partitions Spark asks for and the reader factory agree; the
 * staged files live as long as this scan is reachable (a plan may run more than once), then are removed
 * ({@link StagingDirs}).
 */
final class HydragenScan implements Scan, Batch {
    private final StructType schema;
    private final SourceOptions options;
    private StagedPartitions.Staged staged;
    private io.hydragen.spark.api.GenerateOptions generate; // resolved for the prompt table (chat input or not)

    HydragenScan(StructType schema, SourceOptions options) {
        this.schema = schema;
        this.options = options;
    }

    @Override
    public StructType readSchema() { return schema; }

    @Override
    public String description() { return "hydragen(" + options.path() + ", model=" + options.generate().model() + ")"; }

    @Override
    public Batch toBatch() { return this; }

    @Override
    public synchronized InputPartition[] planInputPartitions() {
        return stage().partitions().toArray(new InputPartition[0]);
    }

    @Override
    public synchronized PartitionReaderFactory createReaderFactory() {
        StagedPartitions.Staged s = stage();
        return new HydragenReaderFactory(generate, s.layout(), s.routedSchema());
    }

    private StagedPartitions.Staged stage() {
        if (staged == null) {
            SparkSession spark = SparkSession.active();
            ModelPreflight.check(options.generate().model(), spark.sparkContext().hadoopConfiguration());
            Dataset<Row> input = options.readInput(spark);
            generate = options.generate().resolveFor(input.schema());
            int partitions = io.hydragen.spark.api.Parallelism.partitions(generate, spark.sparkContext());
            Dataset<Row> routed = PrefixRouter.route(input, generate, partitions);
            staged = StagedPartitions.write(spark, routed, input.schema().size(), options.stagingDir(), this);
        }
        return staged;
    }

}
