package io.hydragen.spark.datasource;

import io.hydragen.spark.api.OutputColumns;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import java.util.Map;

/**
 * {@code spark.read.format("hydragen").option("model", M).load(promptTable)}: reads a prompt table (parquet, json
 * lines or csv; option {@code input_format}, else from the file names) and returns its completions, with the
 * columns of {@link io.hydragen.spark.api.Hydragen#generate}. Its input partitions are prefix groups: planning
 * routes the prompts by prefix (one shuffle) and stages each routed partition, and each read task generates one.
 */
public final class HydragenDataSource implements TableProvider, DataSourceRegister {

    @Override
    public String shortName() { return "hydragen"; }

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        SourceOptions o = SourceOptions.parse(options.asCaseSensitiveMap());
        // the schema only: the UTF-8 check of the files runs once, when the scan reads them
        StructType input = io.hydragen.spark.api.PromptTables.read(SparkSession.active(), o.path(), o.inputFormat(),
                o.readerOptions(), false).schema();
        return OutputColumns.append(input, o.generate().resolveFor(input));
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        return new HydragenTable(schema);
    }
}
