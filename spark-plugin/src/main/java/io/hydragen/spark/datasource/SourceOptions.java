package io.hydragen.spark.datasource;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.OptionKeys;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.internal.SQLConf;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The options of {@code spark.read.format("hydragen")}, split three ways: generation options ({@link OptionKeys}),
 * the source's own ({@code path}, {@code input_format}, {@code staging_dir}), and everything else, which is passed
 * to the reader of the prompt table (e.g. {@code header} for csv).
 */
record SourceOptions(String path, String inputFormat, String stagingDir, GenerateOptions generate,
                     Map<String, String> readerOptions) implements Serializable {

    static final String PATH = "path";
    static final String INPUT_FORMAT = "input_format";
    static final String STAGING_DIR = "staging_dir";
    static final String STAGING_DIR_CONF = "spark.hydragen.stagingDir";

    static SourceOptions parse(Map<String, String> options) {
        Map<String, String> gen = new LinkedHashMap<>();
        Map<String, String> reader = new HashMap<>();
        String path = null, format = null, staging = null;
        for (Map.Entry<String, String> e : options.entrySet()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (k.equals(PATH)) path = e.getValue();
            else if (k.equals(INPUT_FORMAT)) format = e.getValue().toLowerCase(Locale.ROOT);
            else if (k.equals(STAGING_DIR)) staging = e.getValue();
            else if (OptionKeys.ALL.contains(k)) gen.put(k, e.getValue());
            else reader.put(e.getKey(), e.getValue());
        }
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("format(\"hydragen\") needs the prompt table: .load(path) or .option(\"path\", ...)");
        }
        String conf = SQLConf.get().getConfString("spark.hydragen.model", "");
        GenerateOptions g = GenerateOptions.fromMap(gen, conf.isBlank() ? null : conf);
        if (staging == null) {
            String s = SQLConf.get().getConfString(STAGING_DIR_CONF, "");
            staging = s.isBlank() ? null : s;
        }
        return new SourceOptions(path, format, staging, g, reader);
    }

    /** The prompt table as a DataFrame, in the format named or inferred from the file names. */
    Dataset<Row> readInput(SparkSession spark) {
        String format = inputFormat != null ? inputFormat : inferFormat(spark.sparkContext().hadoopConfiguration());
        String sparkFormat = switch (format) {
            case "jsonl", "json", "ndjson" -> "json";
            case "parquet" -> "parquet";
            case "csv" -> "csv";
            default -> throw new IllegalArgumentException("input_format must be parquet, json (jsonl) or csv, got '" + format + "'");
        };
        Map<String, String> ro = new HashMap<>(readerOptions);
        if (sparkFormat.equals("csv")) ro.putIfAbsent("header", "true");
        return spark.read().format(sparkFormat).options(ro).load(path);
    }

    private String inferFormat(Configuration conf) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) throw new IllegalArgumentException("prompt table not found: " + path);
            if (fs.getFileStatus(p).isFile()) return extension(p.getName());
            for (FileStatus f : fs.listStatus(p)) {
                String name = f.getPath().getName();
                if (f.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
                    String ext = extension(name);
                    if (ext != null) return ext;
                }
            }
            throw new IllegalArgumentException("cannot tell the format of " + path + ": set option input_format (parquet, json, csv)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static String extension(String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceAll("\\.(gz|bz2|snappy|zst|lz4)$", "");
        for (String ext : List.of("jsonl", "ndjson", "json", "parquet", "csv")) if (n.endsWith("." + ext)) return ext;
        return null;
    }
}
