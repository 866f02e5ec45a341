package io.hydragen.spark.exec;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.partition.DuplicateCounter;
import io.hydragen.spark.partition.RoutingColumns;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;

/**
 * Where things are in a routed row: the user's columns first ({@code inputColumns} of them), then the working
 * columns of {@link RoutingColumns}.
 */
public record RoutedLayout(int inputColumns, int prompt, int identity, int duplicateOrdinal, int unit) implements Serializable {

    public static RoutedLayout of(StructType routed, int inputColumns) {
        return new RoutedLayout(inputColumns, routed.fieldIndex(RoutingColumns.PROMPT),
                routed.fieldIndex(RoutingColumns.IDENTITY), routed.fieldIndex(RoutingColumns.DUPLICATE_ORDINAL),
                routed.fieldIndex(RoutingColumns.UNIT));
    }

    /** @param duplicates the task's counter; rows must come in partition order */
    public PromptRow promptRow(Row r, GenerateOptions o, DuplicateCounter duplicates) {
        String prompt = r.isNullAt(prompt()) ? null : r.getString(prompt());
        long unit = r.getLong(unit());
        long dup = duplicates.ordinal(r.getLong(duplicateOrdinal()), unit, prompt);
        long seed = !r.isNullAt(identity())
                ? RowSeeds.forId(o.seed(), r.getString(identity()))
                : RowSeeds.forPrompt(o.seed(), prompt, dup);
        return new PromptRow(prompt, seed, unit);
    }

    public Object[] inputValues(Row r) {
        Object[] v = new Object[inputColumns];
        for (int i = 0; i < inputColumns; i++) v[i] = r.get(i);
        return v;
    }
}
