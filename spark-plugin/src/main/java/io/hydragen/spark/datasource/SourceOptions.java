package io.hydragen.spark.datasource;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.OptionKeys;
import io.hydragen.spark.api.PromptTables;
import io.hydragen.spark.api.Suggestions;
import io.hydragen.spark.plugin.HydragenConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.internal.SQLConf;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The options of {@code spark.read.format("hydragen")}, split three ways: generation options ({@link OptionKeys}),
 * the source's own ({@code path}, {@code input_format}, {@code staging_dir}), and options of the prompt table's
 * reader: any key prefixed {@code reader.} ({@code reader.header}, {@code reader.sep}) with the prefix removed, plus
 * the common csv/json reader options of {@link #READER_OPTIONS} as they are. Any other key is refused with the
 * nearest known key, so a typo ({@code max_new_token}) does not silently fall back to a default.
 */
record SourceOptions(String path, String inputFormat, String stagingDir, GenerateOptions generate,
                     Map<String, String> readerOptions) implements Serializable {

    static final String PATH = "path";
    static final String INPUT_FORMAT = "input_format";
    static final String STAGING_DIR = "staging_dir";
    static final String READER_PREFIX = "reader.";
    /** Reader options accepted without the {@code reader.} prefix (lower case; Spark's are case-insensitive). */
    static final List<String> READER_OPTIONS = List.of("header", "sep", "delimiter", "encoding", "quote", "escape",
            "multiline", "inferschema", "linesep", "recursivefilelookup", "pathglobfilter", "mergeschema");

    static SourceOptions parse(Map<String, String> options) { return parse(options, null); }

    /** @param drawnSeed the run seed when neither the options nor the session's defaults give one; null: draw one */
    static SourceOptions parse(Map<String, String> options, Long drawnSeed) {
        Map<String, String> gen = new LinkedHashMap<>();
        Map<String, String> reader = new HashMap<>();
        String path = null, format = null, staging = null;
        for (Map.Entry<String, String> e : options.entrySet()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (k.equals(PATH)) path = e.getValue();
            else if (k.equals("paths")) {
                throw new IllegalArgumentException("format(\"hydragen\") reads one prompt table: .load(path) with a "
                        + "single path (a directory of files is fine)");
            } else if (k.equals(INPUT_FORMAT)) format = e.getValue().toLowerCase(Locale.ROOT);
            else if (k.equals(STAGING_DIR)) staging = e.getValue();
            else if (OptionKeys.ALL.contains(k) || k.equals("threads")) gen.put(k, e.getValue());
            else if (k.startsWith(READER_PREFIX) && k.length() > READER_PREFIX.length()) {
                reader.put(e.getKey().substring(READER_PREFIX.length()), e.getValue());
            } else if (READER_OPTIONS.contains(k)) reader.put(e.getKey(), e.getValue());
            else {
                throw new IllegalArgumentException("unknown option '" + e.getKey() + "' of format(\"hydragen\")"
                        + Suggestions.didYouMean(k, knownKeys()) + "; generation options: " + String.join(", ", OptionKeys.ALL)
                        + "; source options: path, input_format, staging_dir; options of the prompt table's reader "
                        + "take the prefix 'reader.' (e.g. reader.sep), except " + String.join(", ", READER_OPTIONS));
            }
        }
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("format(\"hydragen\") needs the prompt table: .load(path) or .option(\"path\", ...)");
        }
        SQLConf sql = SQLConf.get();
        HydragenConf.warnUnknown(sql);
        String model = HydragenConf.MODEL.get(sql);
        Map<String, String> defaults = HydragenConf.sessionDefaults(sql);
        if (drawnSeed != null) defaults = HydragenConf.withDefaults(Map.of(OptionKeys.SEED, Long.toString(drawnSeed)), defaults);
        GenerateOptions g = GenerateOptions.fromMap(HydragenConf.withDefaults(defaults, gen), model == null || model.isBlank() ? null : model);
        if (staging == null) staging = HydragenConf.STAGING_DIR.get(sql);
        return new SourceOptions(path, format, staging, g, reader);
    }

    static List<String> knownKeys() {
        List<String> k = new ArrayList<>(OptionKeys.ALL);
        k.addAll(List.of(PATH, INPUT_FORMAT, STAGING_DIR));
        k.addAll(READER_OPTIONS);
        return k;
    }

    /** The prompt table as a DataFrame, in the format named or inferred from the file names. */
    Dataset<Row> readInput(SparkSession spark) {
        return PromptTables.read(spark, path, inputFormat, readerOptions);
    }
}
