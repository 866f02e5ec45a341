package io.hydragen.spark.plugin;

import io.hydragen.spark.api.Suggestions;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.internal.SQLConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Every {@code spark.hydragen.*} configuration key, declared once with its type, default and documentation (in the
 * manner of spark-rapids' {@code RapidsConf}), and read through typed getters from a {@link SparkConf} (executor and
 * cluster settings) or the session's {@link SQLConf} (session settings). {@link #markdownTable()} generates the
 * table in spark-plugin/README.md (a test keeps the two equal); {@link #warnUnknown} names the nearest known key for
 * a mistyped one.
 */
public final class HydragenConf {
    private static final Logger LOG = LoggerFactory.getLogger(HydragenConf.class);
    public static final String PREFIX = "spark.hydragen.";

    private static final List<Entry<?>> ENTRIES = new ArrayList<>();
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /** One configuration key. {@code defaultValue} may be null where the default is computed ({@code defaultDoc}). */
    public record Entry<T>(String key, String type, T defaultValue, String defaultDoc, String doc,
                           Function<String, T> parser) {

        /** The value in {@code conf}, else the default; a value of the wrong type is an error naming the key. */
        public T get(SparkConf conf) {
            if (conf == null) return defaultValue;
            Option<String> v = conf.getOption(key);
            return v.isDefined() ? parse(v.get()) : defaultValue;
        }

        /** The value in the session's SQL configuration (which also sees the SparkConf's keys), else the default. */
        public T get(SQLConf conf) {
            String v = conf.getConfString(key, null);
            return v == null ? defaultValue : parse(v);
        }

        /** The value in this executor's (or the local driver's) SparkConf, else the default. */
        public T get() {
            SparkEnv env = SparkEnv.get();
            return get(env == null ? null : env.conf());
        }

        T parse(String raw) {
            try {
                return parser.apply(raw.trim());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(key + " must be " + type + ", got '" + raw + "'"
                        + (e.getMessage() == null || e instanceof NumberFormatException ? "" : ": " + e.getMessage()));
            }
        }
    }

    public static final Entry<String> MODEL = string("spark.hydragen.model", null, "none",
            "Default model of `hydragen_generate`, `hydragen_complete` and the `hydragen` DataSource when they name none "
                    + "(a Hugging Face model directory on any Hadoop file system, or `synthetic:NAME`). Session conf.");
    public static final Entry<String> STAGING_DIR = string("spark.hydragen.stagingDir", null,
            "`/tmp/hydragen-staging-$USER`",
            "Where the DataSource stages routed prompt partitions, on a file system every executor can read "
                    + "(the option `staging_dir` wins). Each scan gets a private directory below it (0700, files 0600), "
                    + "removed when no plan can read it; the root must be yours or sticky. Session conf.");
    public static final Entry<String> MODEL_CACHE_DIR = string("spark.hydragen.modelCacheDir", null,
            "`$XDG_CACHE_HOME/hydragen/models`, else `~/.cache/hydragen/models`, else `${java.io.tmpdir}/hydragen-models-$USER`",
            "Local directory of each executor host where models from remote file systems are cached (created 0700; "
                    + "refused if another user owns it or others can write it).");
    public static final Entry<Long> MODEL_CACHE_MAX_BYTES = new Entry<>("spark.hydragen.modelCacheMaxBytes",
            "a size (bytes, or with a unit: `50g`)", 50L << 30, "`50g`",
            "Most the executor model cache keeps; least recently used models beyond it are evicted, never one in use "
                    + "in the executor.",
            parser(s -> {
                long v = org.apache.spark.network.util.JavaUtils.byteStringAsBytes(s);
                if (v < 0) throw new IllegalArgumentException("negative");
                return v;
            }));
    public static final Entry<Boolean> CHECK_INPUT_UTF8 = new Entry<>("spark.hydragen.checkInputUtf8", "true or false",
            true, "true",
            "Count the lines of csv and JSON lines prompt files that are not valid UTF-8 (Spark's readers replace them "
                    + "silently) and warn, naming each file; costs one more scan of the input. Session conf.",
            parser(HydragenConf::parseBoolean));
    public static final Entry<Integer> MAX_MODELS = integer("spark.hydragen.maxModelsPerExecutor", 1, 1,
            "Loaded models an executor keeps (one per model, backend and device, whatever the per-call options); "
                    + "loading another evicts the least recently used idle one. A model in use by a running task is "
                    + "never closed under it: it is closed when its last task releases it.");
    public static final Entry<Integer> THREADS = integer("spark.hydragen.threads", 0, 0,
            "CPU threads of each executor's engine; 0: the executor's cores (`spark.executor.cores`, the thread "
                    + "count of a `local[N]` master, else every core of the host).");
    public static final Entry<String> CPU_DTYPE = new Entry<>("spark.hydragen.cpuDtype", "auto, fp32 or bf16", "auto", "auto",
            "How CPU engines store and multiply the weights: `auto` (bf16 for a checkpoint stored in bf16 on a CPU with "
                    + "AVX512_BF16, else fp32), `fp32`, or `bf16` (half the weight memory; activations rounded to bf16, or with an "
                    + "fp32 KV cache carried as two bf16 parts, hi + lo, the attention output still rounded).",
            parser(s -> {
                io.hydragen.backend.cpu.CpuDtype.resolve(s, io.hydragen.model.DType.F32);   // refuses an unknown value
                return s.strip().toLowerCase(java.util.Locale.ROOT);
            }));
    public static final Entry<String> KV_CACHE_DTYPE = new Entry<>("spark.hydragen.kvCacheDtype", "auto, fp32 or bf16", "auto", "auto",
            "How CPU engines store the KV cache: `auto` (as the weights: bf16 exactly when `spark.hydragen.cpuDtype` "
                    + "resolves to bf16), `fp32`, or `bf16` (half the KV memory, so KV budgets hold twice the tokens; "
                    + "keys and values rounded to bf16).",
            parser(s -> {
                io.hydragen.backend.cpu.CpuDtype.resolveKvCache(s, io.hydragen.backend.cpu.CpuDtype.FP32);   // refuses an unknown value
                return s.strip().toLowerCase(java.util.Locale.ROOT);
            }));
    public static final Entry<Integer> PREFIX_CACHE_TOKENS = integer("spark.hydragen.prefixCacheTokens", 16384, 0,
            "Prompt-start KV each executor engine keeps across calls, in tokens (0 = off): repeated "
                    + "`hydragen_complete` prefixes and prefix groups split over batches copy it instead of prefilling.");
    public static final Entry<Double> MEMORY_FRACTION = new Entry<>("spark.hydragen.memoryFraction", "a number in [0, 1]",
            0.5, "0.5",
            "Share of the executor's off-heap capacity (JavaCPP `maxBytes`, else physical memory) left after the "
                    + "weights that one batch's KV cache may use (the engine splits a batch that needs more); 0 = no "
                    + "budget. CPU engines only: on a GPU set `spark.hydragen.kvBudgetBytes`.",
            parser(s -> {
                double d = Double.parseDouble(s);
                if (!(d >= 0 && d <= 1)) throw new IllegalArgumentException("out of range");
                return d;
            }));
    public static final Entry<Long> KV_BUDGET_BYTES = new Entry<>("spark.hydragen.kvBudgetBytes", "a byte count >= 0",
            0L, "0 (from `memoryFraction`)",
            "Bytes of KV cache one batch may hold, explicitly (wins over `spark.hydragen.memoryFraction`); 0 = derive "
                    + "it from the fraction.",
            parser(s -> {
                long v = Long.parseLong(s);
                if (v < 0) throw new IllegalArgumentException("negative");
                return v;
            }));
    public static final Entry<Boolean> MEMORY_CHECK = new Entry<>("spark.hydragen.memoryCheck", "true or false", true, "true",
            "Before loading a model, estimate its weights from its config and refuse, with a message, when they do "
                    + "not fit in the executor's free memory (instead of failing with an out-of-memory error).",
            parser(HydragenConf::parseBoolean));

    /** Prefix of the session defaults of generation options: {@code spark.hydragen.defaults.max_new_tokens=64}. */
    public static final String DEFAULTS_PREFIX = "spark.hydragen.defaults.";
    /** Documents the {@link #DEFAULTS_PREFIX} family in the table; read with {@link #sessionDefaults}. */
    public static final Entry<String> DEFAULTS = string(DEFAULTS_PREFIX + "OPTION", null, "none",
            "Session default of a generation option (`OPTION` is any option of `hydragen_generate`, `hydragen_complete` "
                    + "and the `hydragen` DataSource, e.g. `spark.hydragen.defaults.max_new_tokens=64`); a call's own "
                    + "argument wins. `bin/hydragen-batch --sql` sets these from its command-line flags. Session conf.");

    static {
        for (Entry<?> e : List.of(MODEL, DEFAULTS, STAGING_DIR, MODEL_CACHE_DIR, MODEL_CACHE_MAX_BYTES, CHECK_INPUT_UTF8, MAX_MODELS, THREADS, CPU_DTYPE, KV_CACHE_DTYPE, PREFIX_CACHE_TOKENS,
                MEMORY_FRACTION, KV_BUDGET_BYTES, MEMORY_CHECK)) {
            ENTRIES.add(e);
        }
    }

    private HydragenConf() {}

    private static boolean parseBoolean(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("not a boolean");
        };
    }

    /** Types a parsing lambda for the declarations above. */
    private static <T> Function<String, T> parser(Function<String, T> parse) { return parse; }

    private static Entry<String> string(String key, String dflt, String defaultDoc, String doc) {
        return new Entry<>(key, "a string", dflt, defaultDoc, doc, s -> s);
    }

    private static Entry<Integer> integer(String key, int dflt, int min, String doc) {
        return new Entry<>(key, "an integer >= " + min, dflt, Integer.toString(dflt), doc, s -> {
            int v = Integer.parseInt(s);
            if (v < min) throw new IllegalArgumentException("below " + min);
            return v;
        });
    }

    /**
     * The session's generation option defaults ({@code spark.hydragen.defaults.KEY}), keys in lower case; an unknown
     * option name is an error naming the nearest known one.
     */
    public static Map<String, String> sessionDefaults(SQLConf conf) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        if (conf == null) return out;
        for (var e : scala.jdk.javaapi.CollectionConverters.asJava(conf.getAllConfs()).entrySet()) {
            if (!e.getKey().startsWith(DEFAULTS_PREFIX)) continue;
            String option = e.getKey().substring(DEFAULTS_PREFIX.length()).toLowerCase(Locale.ROOT);
            if (!io.hydragen.spark.api.OptionKeys.ALL.contains(option)) {
                throw new IllegalArgumentException("unknown generation option in " + e.getKey()
                        + Suggestions.didYouMean(option, io.hydragen.spark.api.OptionKeys.ALL));
            }
            out.put(option, e.getValue());
        }
        return out;
    }

    /** {@code defaults} overlaid with {@code explicit} (a call's own options win), keys compared in lower case. */
    public static Map<String, String> withDefaults(Map<String, String> defaults, Map<String, String> explicit) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        defaults.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        explicit.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        return out;
    }

    /** Every key, in documentation order. */
    public static List<Entry<?>> entries() { return Collections.unmodifiableList(ENTRIES); }

    public static List<String> keys() { return ENTRIES.stream().map(Entry::key).toList(); }

    /** The Markdown table of every key (spark-plugin/README.md holds a copy; a test keeps them equal). */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
        for (Entry<?> e : ENTRIES) {
            sb.append("| `").append(e.key()).append("` | ").append(e.type()).append(" | ").append(e.defaultDoc())
                    .append(" | ").append(e.doc()).append(" |\n");
        }
        return sb.toString();
    }

    /**
     * Messages for the {@code spark.hydragen.*} keys of {@code conf} that are not known, each naming the nearest
     * known key; each is also logged as a warning, once per key and JVM.
     */
    public static List<String> warnUnknown(Map<String, String> conf) {
        List<String> out = new ArrayList<>();
        List<String> known = keys();
        for (String key : conf.keySet()) {
            if (!key.startsWith(PREFIX) || known.contains(key)) continue;
            if (key.startsWith(DEFAULTS_PREFIX)
                    && io.hydragen.spark.api.OptionKeys.ALL.contains(key.substring(DEFAULTS_PREFIX.length()).toLowerCase(Locale.ROOT))) continue;
            String m = "unknown configuration key " + key + " is ignored" + Suggestions.didYouMean(key, known)
                    + "; known keys: " + String.join(", ", known);
            out.add(m);
            if (WARNED.add(key)) LOG.warn(m);
        }
        return out;
    }

    /** {@link #warnUnknown(Map)} over a SparkConf. */
    public static List<String> warnUnknown(SparkConf conf) {
        Map<String, String> m = new java.util.HashMap<>();
        for (scala.Tuple2<String, String> t : conf.getAll()) m.put(t._1(), t._2());
        return warnUnknown(m);
    }

    /** {@link #warnUnknown(Map)} over a session's SQL configuration (which includes its SparkConf). */
    public static List<String> warnUnknown(SQLConf conf) {
        return warnUnknown(scala.jdk.javaapi.CollectionConverters.asJava(conf.getAllConfs()));
    }

    /** Prints the README table: {@code java -cp ... io.hydragen.spark.plugin.HydragenConf}. */
    public static void main(String[] args) {
        System.out.print(markdownTable());
    }
}
