package io.hydragen.spark.exec;

import io.hydragen.spark.api.OutputColumns;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

import java.io.IOException;

import static org.apache.spark.sql.functions.*;

/**
 * Prompts that are not valid UTF-8. Spark keeps a string's bytes as it read them (parquet, ORC, the text format, a
 * binary column cast to string), so a prompt can hold bytes that decode to no character; turned into a Java string
 * they would become U+FFFD and be completed as if nothing were wrong. Instead routing hands such a row on with no
 * prompt (the engine never sees it) and its output row says why: {@value #MESSAGE}.
 *
 * <p>Bytes that a reader already decoded (Spark's csv reader replaces them with U+FFFD) cannot be told from a real
 * U+FFFD here; {@link io.hydragen.spark.api.PromptTables} warns about such files instead.
 */
public final class Utf8Prompts {
    private Utf8Prompts() {}

    public static final String MESSAGE = "prompt is not valid UTF-8 (it holds bytes that decode to no character): "
            + "fix the input or read it with its encoding";

    /** The prompt (already cast to string) when it is valid UTF-8, else null. */
    public static Column validOrNull(Column promptAsString) {
        return when(is_valid_utf8(promptAsString), promptAsString);
    }

    /**
     * Generation output with the error message of rows whose input prompt is not valid UTF-8. The output's input
     * columns went through Java strings (bad bytes are U+FFFD there), so the row is known by what routing did to it:
     * the prompt cell is not null, yet the row was handed on with no prompt ({@link #validOrNull}).
     */
    public static Dataset<Row> flag(Dataset<Row> output, String promptColumn) {
        Column error = output.col(OutputColumns.ERROR);
        Column prompt = output.col("`" + promptColumn.replace("`", "``") + "`");
        return output.withColumn(OutputColumns.ERROR,
                when(prompt.isNotNull().and(error.equalTo(lit(FaultIsolatingRunner.problem(null)))), lit(MESSAGE)).otherwise(error));
    }

    /**
     * The DataSource's rows, with the error message of rows whose prompt is not valid UTF-8.
     *
     * @param input       the input columns (the first fields of every row)
     * @param promptColumn the prompt column's name
     */
    public static PartitionReader<InternalRow> flag(PartitionReader<InternalRow> reader, StructType input, String promptColumn) {
        int prompt = fieldIndex(input, promptColumn);
        if (prompt < 0) return reader;
        DataType type = input.fields()[prompt].dataType();
        if (!(type instanceof StringType) && !(type instanceof BinaryType)) return reader;
        int errorIndex = input.size() + OutputColumns.names(1).indexOf(OutputColumns.ERROR);
        UTF8String message = UTF8String.fromString(MESSAGE);
        return new PartitionReader<>() {
            @Override
            public boolean next() throws IOException { return reader.next(); }

            @Override
            public InternalRow get() {
                InternalRow r = reader.get();
                if (r.isNullAt(prompt)) return r;
                UTF8String s = type instanceof StringType ? r.getUTF8String(prompt) : UTF8String.fromBytes(r.getBinary(prompt));
                if (s.isValid()) return r;
                InternalRow c = r.copy();
                c.update(errorIndex, message);
                return c;
            }

            @Override
            public void close() throws IOException { reader.close(); }
        };
    }

    private static int fieldIndex(StructType schema, String name) {
        StructField[] f = schema.fields();
        for (int i = 0; i < f.length; i++) if (f[i].name().equals(name)) return i;
        for (int i = 0; i < f.length; i++) if (f[i].name().equalsIgnoreCase(name)) return i;
        return -1;
    }
}
