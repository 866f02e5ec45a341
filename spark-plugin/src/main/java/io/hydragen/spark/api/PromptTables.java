package io.hydragen.spark.api;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a prompt table (a file or a directory of parquet, JSON lines or csv) on any Hadoop-compatible file system.
 *
 * <p>CSV is read as RFC 4180 writes it (spreadsheets, pandas, Python's csv module): a header line, quoted fields
 * that may span lines ({@code multiLine=true}) and a quote inside a quoted field written twice ({@code escape="}).
 * Spark's own defaults ({@code escape=\}, one record per line) would cut a prompt with a newline into bogus rows and
 * end a field at {@code \"}. Each option can be overridden (e.g. {@code escape=\} for csv written by Spark with its
 * defaults). With {@code multiLine} a csv file is read by one task; prompt tables are small next to generation.
 *
 * <p>Text files that are not valid UTF-8 (csv, JSON lines): Spark's csv reader replaces the bad bytes with U+FFFD
 * and its JSON reader turns the line into a corrupt record (every column null; the row's error says "not valid JSON",
 * {@link io.hydragen.spark.exec.CorruptRecords}), in both cases without a word. Before returning, a pre-pass over the raw lines ({@code text} format, which
 * keeps bytes as they are) counts the lines that are not valid UTF-8 in each file and logs a warning naming the file
 * and the count. It costs one more scan of the input, cheap next to generation; {@code spark.hydragen.checkInputUtf8} ({@link io.hydragen.spark.plugin.HydragenConf#CHECK_INPUT_UTF8})
 * {@code =false} turns it off, and it is skipped when the reader is given another {@code encoding}. Rows whose prompt
 * Spark holds as invalid UTF-8 bytes (parquet, ORC, text, binary columns) get an error row of their own instead
 * ({@link Hydragen#generate}).
 */
public final class PromptTables {
    private static final Logger LOG = LoggerFactory.getLogger(PromptTables.class);


    /** Reader options whose file selection the UTF-8 pre-pass copies, so it reads the same files. */
    private static final List<String> FILE_SELECTION_OPTIONS = List.of("pathglobfilter", "recursivefilelookup",
            "modifiedbefore", "modifiedafter", "ignorecorruptfiles", "ignoremissingfiles");

    private PromptTables() {}

    /**
     * @param format        parquet, json/jsonl/ndjson or csv; null to infer it from the file names
     * @param readerOptions passed to Spark's reader (csv gets {@code header=true}, {@code multiLine=true} and
     *                      {@code escape="} unless told otherwise, keys compared without case)
     */
    public static Dataset<Row> read(SparkSession spark, String path, String format, Map<String, String> readerOptions) {
        return read(spark, path, format, readerOptions, true);
    }

    /**
     * @param checkUtf8 false to skip the UTF-8 pre-pass whatever {@code spark.hydragen.checkInputUtf8} ({@link io.hydragen.spark.plugin.HydragenConf#CHECK_INPUT_UTF8}) says (e.g. when only the
     *                  schema is wanted)
     */
    public static Dataset<Row> read(SparkSession spark, String path, String format, Map<String, String> readerOptions,
                                    boolean checkUtf8) {
        String f = format != null ? format.toLowerCase(Locale.ROOT) : inferFormat(path, spark.sparkContext().hadoopConfiguration());
        String sparkFormat = switch (f) {
            case "jsonl", "json", "ndjson" -> "json";
            case "parquet" -> "parquet";
            case "csv" -> "csv";
            default -> throw new IllegalArgumentException("input format must be parquet, json (jsonl) or csv, got '" + f + "'");
        };
        Map<String, String> ro = new HashMap<>(readerOptions == null ? Map.of() : readerOptions);
        if (sparkFormat.equals("csv")) {
            putIfAbsentIgnoringCase(ro, "header", "true");
            putIfAbsentIgnoringCase(ro, "multiLine", "true");
            putIfAbsentIgnoringCase(ro, "escape", "\"");
        }
        Dataset<Row> table = spark.read().format(sparkFormat).options(ro).load(path);
        if (checkUtf8 && !sparkFormat.equals("parquet") && checkUtf8(spark) && declaresUtf8(ro)) {
            invalidUtf8Lines(spark, path, ro).forEach((file, lines) -> LOG.warn(
                    "prompt table file {}: {} line(s) are not valid UTF-8; {}", file, lines, sparkFormat.equals("csv")
                            ? "Spark's csv reader replaced the bad bytes with U+FFFD, so those prompts are read damaged: "
                            + "fix the file or give its encoding (reader option encoding)"
                            : "Spark's JSON reader read those lines as corrupt records (all columns null, error "
                            + "'not valid JSON: ...'): fix the file or give its encoding (reader option encoding)"));
        }
        return table;
    }

    /**
     * The lines of a text prompt table (a file or directory of csv or JSON lines) that are not valid UTF-8, counted
     * per file, read as raw bytes. Empty when every line is valid.
     *
     * @param readerOptions the table's reader options: the ones that select files are applied here too
     */
    public static Map<String, Long> invalidUtf8Lines(SparkSession spark, String path, Map<String, String> readerOptions) {
        Map<String, String> selection = new HashMap<>();
        if (readerOptions != null) {
            readerOptions.forEach((k, v) -> {
                if (FILE_SELECTION_OPTIONS.contains(k.toLowerCase(Locale.ROOT))) selection.put(k, v);
            });
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (Row r : spark.read().options(selection).text(path)
                .where(org.apache.spark.sql.functions.not(org.apache.spark.sql.functions.is_valid_utf8(
                        org.apache.spark.sql.functions.col("value"))))
                .groupBy(org.apache.spark.sql.functions.input_file_name().as("file")).count()
                .orderBy("file").collectAsList()) {
            out.put(r.getString(0), r.getLong(1));
        }
        return out;
    }

    private static boolean checkUtf8(SparkSession spark) {
        return io.hydragen.spark.plugin.HydragenConf.CHECK_INPUT_UTF8.get(spark.sessionState().conf());
    }

    /** No encoding given, or UTF-8: the files are meant to be UTF-8. */
    private static boolean declaresUtf8(Map<String, String> ro) {
        for (Map.Entry<String, String> e : ro.entrySet()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (k.equals("encoding") || k.equals("charset")) {
                String v = e.getValue() == null ? "" : e.getValue().trim().toUpperCase(Locale.ROOT).replace("_", "-");
                if (!v.isEmpty() && !v.equals("UTF-8") && !v.equals("UTF8")) return false;
            }
        }
        return true;
    }

    private static void putIfAbsentIgnoringCase(Map<String, String> m, String key, String value) {
        for (String k : m.keySet()) if (k.equalsIgnoreCase(key)) return;
        m.put(key, value);
    }

    /** The format of a file from its extension, or of a directory from its first data file. */
    public static String inferFormat(String path, Configuration conf) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) throw new IllegalArgumentException("prompt table not found: " + path);
            if (fs.getFileStatus(p).isFile()) {
                String ext = extension(p.getName());
                if (ext == null) throw new IllegalArgumentException("cannot tell the format of " + path + " from its name: give the format (parquet, json, csv)");
                return ext;
            }
            for (FileStatus s : fs.listStatus(p)) {
                String name = s.getPath().getName();
                if (s.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
                    String ext = extension(name);
                    if (ext != null) return ext;
                }
            }
            throw new IllegalArgumentException("cannot tell the format of " + path + ": give the format (parquet, json, csv)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static String extension(String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceAll("\\.(gz|bz2|snappy|zst|zstd|lz4)$", "");
        for (String ext : List.of("jsonl", "ndjson", "json", "parquet", "csv")) if (n.endsWith("." + ext)) return ext;
        return null;
    }
}
