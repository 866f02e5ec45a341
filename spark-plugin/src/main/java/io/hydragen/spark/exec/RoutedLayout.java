package io.hydragen.spark.exec;

import io.hydragen.spark.partition.RoutingColumns;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;

/**
 * Where things are in a routed row: the user's columns first ({@code inputColumns} of them), then the working
 * columns of {@link RoutingColumns}. {@code corruptRecord} is the input's corrupt record column
 * ({@link CorruptRecords}), or -1.
 */
public record RoutedLayout(int inputColumns, int prompt, int promptNotUtf8, int identity, int duplicateOrdinal, int unit, int settings,
                           int corruptRecord)
        implements Serializable {

    public static RoutedLayout of(StructType routed, int inputColumns) {
        return new RoutedLayout(inputColumns, routed.fieldIndex(RoutingColumns.PROMPT), routed.fieldIndex(RoutingColumns.PROMPT_NOT_UTF8),
                routed.fieldIndex(RoutingColumns.IDENTITY), routed.fieldIndex(RoutingColumns.DUPLICATE_ORDINAL),
                routed.fieldIndex(RoutingColumns.UNIT), routed.fieldIndex(RoutingColumns.SETTINGS),
                CorruptRecords.column(routed, inputColumns));
    }

    /** Reads the routing columns of external rows (the DataFrame path). */
    public PartitionGenerator.RowAccess<Row> rows() {
        return new PartitionGenerator.RowAccess<>() {
            @Override
            public String prompt(Row r) { return r.isNullAt(prompt) ? null : r.getString(prompt); }

            @Override
            public boolean promptNotUtf8(Row r) { return r.getBoolean(promptNotUtf8); }

            @Override
            public String identity(Row r) { return r.isNullAt(identity) ? null : r.getString(identity); }

            @Override
            public long duplicateOrdinal(Row r) { return r.getLong(duplicateOrdinal); }

            @Override
            public long unit(Row r) { return r.getLong(unit); }

            @Override
            public String settings(Row r) { return r.isNullAt(settings) ? null : r.getString(settings); }

            public String corruptRecord(Row r) { return corruptRecord < 0 || r.isNullAt(corruptRecord) ? null : String.valueOf(r.get(corruptRecord)); }
        };
    }

    /** Reads the routing columns of internal rows (the DataSource's staged rows). */
    public PartitionGenerator.RowAccess<InternalRow> internalRows() {
        return new PartitionGenerator.RowAccess<>() {
            @Override
            public String prompt(InternalRow r) { return r.isNullAt(prompt) ? null : r.getUTF8String(prompt).toString(); }

            @Override
            public boolean promptNotUtf8(InternalRow r) { return r.getBoolean(promptNotUtf8); }

            @Override
            public String identity(InternalRow r) { return r.isNullAt(identity) ? null : r.getUTF8String(identity).toString(); }

            @Override
            public long duplicateOrdinal(InternalRow r) { return r.getLong(duplicateOrdinal); }

            @Override
            public long unit(InternalRow r) { return r.getLong(unit); }

            @Override
            public String settings(InternalRow r) { return r.isNullAt(settings) ? null : r.getUTF8String(settings).toString(); }

            public String corruptRecord(InternalRow r) {
                return corruptRecord < 0 || r.isNullAt(corruptRecord) ? null : r.getUTF8String(corruptRecord).toString();
            }
        };
    }

    public Object[] inputValues(Row r) {
        Object[] v = new Object[inputColumns];
        for (int i = 0; i < inputColumns; i++) v[i] = r.get(i);
        return v;
    }
}
