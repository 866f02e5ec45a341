package io.hydragen.spark.exec;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Lines of a JSON lines prompt table that Spark's reader could not parse. Spark reads such a line as a row whose
 * columns are all null, with the line's text in its corrupt record column ({@code spark.sql.columnNameOfCorruptRecord},
 * {@code _corrupt_record} by default). Its output row says {@value #PREFIX}LINE (the line's first
 * {@value #SHOWN_CHARS} characters), as {@code bin/hydragen generate} says for such a line, rather than "prompt is
 * null": the rule is applied where a row's problem is decided ({@link FaultIsolatingRunner}), so the DataFrame API,
 * SQL, the DataSource and the batch job's summary all say the same.
 */
public final class CorruptRecords {
    private CorruptRecords() {}

    public static final String PREFIX = "not valid JSON: ";
    static final int SHOWN_CHARS = 200;

    /** The error of a row read from this malformed line. */
    public static String message(String line) {
        return PREFIX + (line.length() > SHOWN_CHARS ? line.substring(0, SHOWN_CHARS) + "..." : line);
    }

    /** Index of the session's corrupt record column among the first {@code inputColumns} fields, or -1. */
    public static int column(StructType schema, int inputColumns) {
        SparkSession spark = SparkSession.getActiveSession().isDefined() ? SparkSession.active() : null;
        String name = spark == null ? "_corrupt_record" : spark.conf().get("spark.sql.columnNameOfCorruptRecord", "_corrupt_record");
        String[] names = schema.fieldNames();
        for (int i = 0; i < Math.min(inputColumns, names.length); i++) if (names[i].equals(name)) return i;
        return -1;
    }
}
