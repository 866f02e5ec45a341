package io.hydragen.spark.datasource;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.OptionKeys;
import io.hydragen.spark.api.PromptTables;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.internal.SQLConf;

import java.io.Serializable;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
        return PromptTables.read(spark, path, inputFormat, readerOptions);
    }
}
