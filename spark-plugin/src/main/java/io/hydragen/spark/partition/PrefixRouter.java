package io.hydragen.spark.partition;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.exec.ChatRows;
import io.hydragen.spark.exec.Utf8Prompts;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.hydragen.spark.partition.RoutingColumns.*;
import static org.apache.spark.sql.functions.*;

/**
 * Prefix-aware routing: brings rows that share a prompt prefix into the same partition, adjacent, so that
 * {@link UnitBatcher} puts them into one engine batch, where the engine's trie finds every level of sharing.
 *
 * <ul>
 *   <li>Group key: the prefix columns in order (explicit), or the first {@code routingPrefixChars} characters of
 *       the prompt (automatic).</li>
 *   <li>Each group is numbered in prompt order and cut into batch-sized slices ({@code salt = ordinal / batchSize});
 *       a (group, slice) pair is a unit. A unit is never split, and a big group's slices can land in different
 *       partitions, so one huge group does not stall the job on one task.</li>
 *   <li>Units are range-partitioned (keys of equal value never straddle partitions; ranges keep neighbouring
 *       groups, which share shorter prefixes, together) and sorted within partitions.</li>
 * </ul>
 * Everything is lazy: no job runs until the result is used (the range partitioner samples when it executes).
 */
public final class PrefixRouter {
    private PrefixRouter() {}

    /**
     * @return the input columns followed by the working columns of {@link RoutingColumns}, in {@code numPartitions}
     *         partitions, each sorted so that a unit's rows are adjacent
     */
    public static Dataset<Row> route(Dataset<Row> input, GenerateOptions o, int numPartitions) {
        StructType schema = input.schema();
        if (o.chat()) requireColumn(schema, o.messagesColumn(), "messages column");
        else requireColumn(schema, o.promptColumn(), "prompt column");
        if (o.idColumn() != null) requireColumn(schema, o.idColumn(), "id column");
        for (String c : o.prefixColumns()) requireColumn(schema, c, "prefix column");
        o.settingColumns().forEach((setting, c) -> requireColumn(schema, c, setting.columnOption()));
        for (String name : schema.fieldNames()) {
            if (name.startsWith("__hg_")) throw new IllegalArgumentException("input column '" + name + "' uses the reserved prefix __hg_");
        }

        Column promptText = o.chat() ? null : input.col(quote(o.promptColumn())).cast("string");
        Dataset<Row> df = input
                // a prompt that is not valid UTF-8 goes on as no prompt, marked: it gets an error row (Utf8Prompts), no completion
                .withColumn(PROMPT, o.chat() ? ChatRows.asJson(input, o.messagesColumn()) : Utf8Prompts.validOrNull(promptText))
                .withColumn(PROMPT_NOT_UTF8, o.chat() ? lit(false) : Utf8Prompts.notUtf8(promptText))
                .withColumn(ROW_HASH, xxhash64(hashableColumns(input)))
                .withColumn(SETTINGS, settings(input, o));
        if (!o.prefixRouting()) {
            // baseline: no shuffle, rows batched in input order, each row its own unit
            return df.withColumn(IDENTITY, o.idColumn() == null ? lit(null).cast("string") : input.col(quote(o.idColumn())).cast("string"))
                    .withColumn(DUPLICATE_ORDINAL, lit(0L))
                    .withColumn(UNIT, monotonically_increasing_id());
        }

        List<Column> groupKey = new ArrayList<>();
        if (o.explicitPrefixes()) {
            // Prefix columns may hold whole documents: partition and sort on their hashes, which keeps equal values
            // together and keeps the range partitioner's sample small.
            for (String c : o.prefixColumns()) groupKey.add(xxhash64(input.col(quote(c))));
        } else {
            df = df.withColumn(KEY, substring(col(PROMPT), 1, o.routingPrefixChars()));
            groupKey.add(col(KEY));
        }

        if (numPartitions == 1) return routeToOneTask(df, input, o, groupKey);

        df = df.withColumn(GROUP_ORDINAL, row_number().over(
                Window.partitionBy(groupKey.toArray(new Column[0])).orderBy(col(PROMPT), col(ROW_HASH))).minus(1));
        if (o.idColumn() != null) {
            df = df.withColumn(IDENTITY, input.col(quote(o.idColumn())).cast("string"))
                    .withColumn(DUPLICATE_ORDINAL, lit(0L));
        } else {
            List<Column> byPrompt = new ArrayList<>(groupKey);
            byPrompt.add(col(PROMPT));
            df = df.withColumn(IDENTITY, lit(null).cast("string"))
                    .withColumn(DUPLICATE_ORDINAL, row_number().over(
                            Window.partitionBy(byPrompt.toArray(new Column[0])).orderBy(col(ROW_HASH))).minus(1).cast("long"));
        }
        df = df.withColumn(SALT, floor(col(GROUP_ORDINAL).divide(o.batchSize())));

        List<Column> unitKey = new ArrayList<>(groupKey);
        unitKey.add(col(SALT));
        df = df.withColumn(UNIT, xxhash64(unitKey.toArray(new Column[0])));

        List<Column> sort = new ArrayList<>();
        if (o.explicitPrefixes()) {
            sort.addAll(unitKey);
        } else {
            // the key is a prefix of the prompt and slices follow prompt order, so prompt order keeps units adjacent
            // while putting neighbouring groups (sharing a shorter prefix) next to each other
        }
        sort.add(col(PROMPT));
        sort.add(col(ROW_HASH));

        return df.repartitionByRange(numPartitions, unitKey.toArray(new Column[0]))
                .sortWithinPartitions(sort.toArray(new Column[0]));
    }

    /**
     * One task (local mode, or {@code partitions = 1}): the windows are not needed. Sorting by (group, prompt, row
     * hash) puts each group's rows in prompt order; {@link UnitBatcher} cuts a group bigger than a batch in that order,
     * exactly as salting would, streaming it batch by batch (a group of a million rows is never held whole); and the duplicate ordinal is counted in the task over adjacent equal prompts
     * ({@link DuplicateCounter}), giving the same ordinals, hence the same seeds, as the window. No shuffle at all,
     * which matters on small tables where Spark's per-stage cost is a visible part of the run.
     */
    private static Dataset<Row> routeToOneTask(Dataset<Row> df, Dataset<Row> input, GenerateOptions o, List<Column> groupKey) {
        df = df.withColumn(IDENTITY, o.idColumn() == null ? lit(null).cast("string") : input.col(quote(o.idColumn())).cast("string"))
                .withColumn(DUPLICATE_ORDINAL, lit(o.idColumn() == null ? DuplicateCounter.COUNT_IN_TASK : 0L))
                .withColumn(UNIT, xxhash64(groupKey.toArray(new Column[0])));
        List<Column> sort = new ArrayList<>();
        if (o.explicitPrefixes()) sort.addAll(groupKey);
        sort.add(col(PROMPT));
        sort.add(col(ROW_HASH));
        // coalesce, not repartition: the one task reads its input itself, saving a shuffle stage
        return df.coalesce(1).sortWithinPartitions(sort.toArray(new Column[0]));
    }

    /**
     * The row's own settings as one JSON object keyed by setting ({@code {"temperature": 0.7, "stop": ["."]}}), null
     * cells left out; null when no setting column is given. JSON because it carries every column type to the executor
     * in one string column, read the same from external and internal rows, and a value of the wrong type still arrives
     * to become that row's error ({@link io.hydragen.spark.exec.RowSettings}) instead of failing the query.
     */
    private static Column settings(Dataset<Row> input, GenerateOptions o) {
        if (o.settingColumns().isEmpty()) return lit(null).cast("string");
        List<Column> fields = new ArrayList<>();
        o.settingColumns().forEach((setting, c) -> fields.add(input.col(quote(c)).as(setting.key())));
        return to_json(struct(fields.toArray(new Column[0])));
    }

    /** Column references for the row hash; map-typed values are skipped because Spark refuses to hash them. */
    private static Column[] hashableColumns(Dataset<Row> input) {
        List<Column> cols = new ArrayList<>();
        for (StructField f : input.schema().fields()) {
            if (!containsMap(f.dataType())) cols.add(input.col(quote(f.name())));
        }
        if (cols.isEmpty()) cols.add(lit(0));
        return cols.toArray(new Column[0]);
    }

    private static boolean containsMap(DataType t) {
        if (t instanceof MapType) return true;
        if (t instanceof ArrayType a) return containsMap(a.elementType());
        if (t instanceof StructType s) return Arrays.stream(s.fields()).anyMatch(f -> containsMap(f.dataType()));
        return false;
    }

    private static void requireColumn(StructType schema, String name, String role) {
        for (String f : schema.fieldNames()) if (f.equalsIgnoreCase(name)) return;
        throw new IllegalArgumentException(role + " '" + name + "' not found; the table has columns "
                + Arrays.toString(schema.fieldNames())
                + (role.equals("prompt column") ? " (for chat input name a column of {role, content} with option 'messages_column')" : ""));
    }

    /** Backquotes a column name so dots and spaces in it are taken literally. */
    static String quote(String name) { return "`" + name.replace("`", "``") + "`"; }
}
