package io.hydragen.spark.api;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads a prompt table (a file or a directory of parquet, JSON lines or csv) on any Hadoop-compatible file system. */
public final class PromptTables {
    private PromptTables() {}

    /**
     * @param format        parquet, json/jsonl/ndjson or csv; null to infer it from the file names
     * @param readerOptions passed to Spark's reader (csv gets {@code header=true} unless told otherwise)
     */
    public static Dataset<Row> read(SparkSession spark, String path, String format, Map<String, String> readerOptions) {
        String f = format != null ? format.toLowerCase(Locale.ROOT) : inferFormat(path, spark.sparkContext().hadoopConfiguration());
        String sparkFormat = switch (f) {
            case "jsonl", "json", "ndjson" -> "json";
            case "parquet" -> "parquet";
            case "csv" -> "csv";
            default -> throw new IllegalArgumentException("input format must be parquet, json (jsonl) or csv, got '" + f + "'");
        };
        Map<String, String> ro = new HashMap<>(readerOptions == null ? Map.of() : readerOptions);
        if (sparkFormat.equals("csv")) ro.putIfAbsent("header", "true");
        return spark.read().format(sparkFormat).options(ro).load(path);
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
