package io.hydragen.spark.api;

import io.hydragen.attention.AttentionMode;
import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.GenerationDefaults;
import io.hydragen.generate.SamplingParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link Hydragen#generate} does to a prompt table: which model, which column holds the prompt, how to sample
 * (the options of {@code bin/hydragen generate}), and how rows are routed and batched.
 *
 * <p>Build one with {@link #builder(String)}, or from string options (SQL arguments, DataSource options) with
 * {@link #fromMap(Map)}, whose keys are the snake_case names listed in {@link OptionKeys}.
 *
 * @param model              a Hugging Face model directory on any Hadoop-compatible file system
 *                           ({@code hdfs://}, {@code s3a://}, {@code file://}, a local path) or {@code synthetic:NAME}
 * @param promptColumn       the column holding the prompt text (cast to string)
 * @param idColumn           optional column whose value is the row's stable identity for seeding; when null the
 *                           identity is the prompt text plus an ordinal among rows with the same prompt
 * @param prefixColumns      explicit prefix columns, outermost first (e.g. instruction, document); empty means
 *                           automatic routing by the first {@code routingPrefixChars} characters of the prompt
 * @param batchSize          rows per engine call; rows of one prefix group of at most this size stay in one batch
 * @param minSharedTokens    a trie node shared by two or more sequences becomes a shared KV segment from this length on
 * @param backend            {@code auto}, {@code cpu} or {@code cuda}; with {@code auto} an executor uses the GPU
 *                           Spark assigned to the task and the CPU where there is none
 * @param partitions         generation tasks (partitions of the routing shuffle); 0: one per executor ({@link Parallelism})
 * @param routingPrefixChars characters of the prompt that form the automatic routing key (default 64, about the
 *                           engine's default {@code min_shared_tokens} of 16 tokens: a shorter common prefix would not
 *                           be shared anyway, and a longer key would separate rows that share a shorter prefix; a
 *                           group bigger than a batch is cut in prompt order, which keeps deeper sharing together)
 * @param seed               the run seed each row's seed is derived from ({@link #rowSeed}); a builder without one
 *                           draws a fresh one at {@link Builder#build()}, as the CLI does without {@code --seed}
 * @param perRowSeeds        true (default): each row's seed is derived from {@code seed} and the row's identity, so
 *                           duplicated prompts get independent samples; false: every row uses {@code seed} as is,
 *                           as vLLM does with one seed (equal prompts, equal samples); {@code bin/hydragen generate} uses the per-row rule
 * @param routing            {@code prefix} (default): prefix-aware routing; {@code none}: rows stay in their input
 *                           partitions and order and are batched as they come (the baseline for benchmarks; equal
 *                           prompts then share a seed)
 * @param messagesColumn     chat input: the column of conversations ({@code array<struct<role: string, content:
 *                           string>>}, or a string holding that as JSON) rendered by the model's chat template instead
 *                           of a prompt column. Null (default): the prompt column when the table has it, else a column
 *                           named {@code messages} when the table has one ({@link #resolveFor}); set, it is used
 *                           whatever the prompt column. Chat output has a {@code prompt} column: the rendered text
 * @param chatTemplate       chat input: a chat template file (Jinja) replacing the model's own, at a local path that
 *                           every executor can read; null: the model's ({@code chat_template.jinja}, else
 *                           {@code tokenizer_config.json}'s {@code chat_template})
 * @param addGenerationPrompt chat input: end the rendered conversation with the assistant's turn header (default true)
 * @param generationConfig   {@code auto} (default): of {@code max_new_tokens}, {@code temperature}, {@code top_k} and
 *                           {@code top_p}, those the user did not set come from the model's {@code generation_config.json}
 *                           on the executor (as in vLLM), else the built-in defaults that the fields hold;
 *                           {@code ignore}: the fields as they are
 * @param userSettings       which of those four the user set (their option keys); the builder's setters record them
 * @param constraint         structured output for every row (issue #11), as {@link io.hydragen.constrain.Constraint#parse}
 *                           reads it ({@code {"type": "json_schema", "schema": {...}}}, {@code {"type": "json_object"}},
 *                           {@code {"type": "regex", "pattern": ...}}, {@code {"type": "choice", "choices": [...]}}), or
 *                           null; options {@code response_format}, {@code regex}, {@code choice} set it
 * @param scheduler          {@code static} ({@link io.hydragen.generate.Scheduler#DEFAULT}): each batch is decoded until its last row finishes;
 *                           {@code continuous}: the engine keeps its running batch full, admitting rows as others
 *                           finish, and output rows leave in finishing order ({@link io.hydragen.spark.exec.PartitionGenerator})
 * @param settingColumns     per-row settings: for each {@link RowSetting} given, the column whose non-null value
 *                           replaces the call-level setting for its row (options {@code temperature_column}, ...;
 *                           read by {@link io.hydragen.spark.exec.RowSettings})
 * @param logprobs           null: off; k in 0..20: each generated token's log-probability and k alternatives (output
 *                           columns {@code logprobs} and {@code cumulative_logprob}), as vLLM's {@code logprobs}
 * @param promptLogprobs     null: off; k in 0..20: the same for the prompt's tokens (output column {@code prompt_logprobs})
 */
public record GenerateOptions(
        String model,
        String promptColumn,
        String idColumn,
        int maxNewTokens,
        double temperature,
        int topK,
        double topP,
        long seed,
        List<String> stop,
        List<Integer> stopTokenIds,
        boolean ignoreEos,
        int n,
        List<String> prefixColumns,
        int batchSize,
        int minSharedTokens,
        String backend,
        String attention,
        int partitions,
        int routingPrefixChars,
        boolean perRowSeeds,
        String routing,
        String messagesColumn,
        String chatTemplate,
        boolean addGenerationPrompt,
        String generationConfig,
        java.util.Set<String> userSettings,
        String constraint,
        String scheduler,
        Map<RowSetting, String> settingColumns,
        Integer logprobs,
        Integer promptLogprobs) implements Serializable {

    /** The name {@link #resolveFor} looks for when the table has no prompt column and no messages column is set. */
    public static final String DEFAULT_MESSAGES_COLUMN = "messages";

    public GenerateOptions {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("option 'model' is required");
        if (promptColumn == null || promptColumn.isBlank()) throw new IllegalArgumentException("option 'prompt_column' must name a column");
        stop = List.copyOf(stop == null ? List.of() : stop);
        stopTokenIds = List.copyOf(stopTokenIds == null ? List.of() : stopTokenIds);
        prefixColumns = List.copyOf(prefixColumns == null ? List.of() : prefixColumns);
        if (batchSize < 1) throw new IllegalArgumentException("batch_size must be >= 1, got " + batchSize);
        if (minSharedTokens < 1) throw new IllegalArgumentException("min_shared_tokens must be >= 1, got " + minSharedTokens);
        if (partitions < 0) throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
        if (routingPrefixChars < 1) throw new IllegalArgumentException("routing_prefix_chars must be >= 1, got " + routingPrefixChars);
        backend = backend == null ? "auto" : backend.toLowerCase(Locale.ROOT);
        if (!List.of("auto", "cpu", "cuda").contains(backend)) {
            throw new IllegalArgumentException("backend must be auto, cpu or cuda, got '" + backend + "'");
        }
        AttentionMode mode = AttentionMode.parse(attention == null ? "hydragen" : attention);
        if (mode == AttentionMode.NONE) {
            throw new IllegalArgumentException("attention 'none' skips attention and returns meaningless text: it is for "
                    + "benchmarks only (bin/hydragen bench); use hydragen, per-sequence or per-sequence-shared-kv");
        }
        attention = mode.cliName();
        routing = routing == null ? "prefix" : routing.toLowerCase(Locale.ROOT);
        if (!routing.equals("prefix") && !routing.equals("none")) {
            throw new IllegalArgumentException("routing must be prefix or none, got '" + routing + "'");
        }
        if (messagesColumn != null && messagesColumn.isBlank()) messagesColumn = null;
        if (chatTemplate != null && chatTemplate.isBlank()) chatTemplate = null;
        generationConfig = generationConfig == null ? "auto" : generationConfig.toLowerCase(Locale.ROOT);
        if (!generationConfig.equals("auto") && !generationConfig.equals("ignore")) {
            throw new IllegalArgumentException("generation_config must be auto or ignore, got '" + generationConfig + "'");
        }
        userSettings = java.util.Set.copyOf(userSettings == null ? java.util.Set.of() : userSettings);
        scheduler = (scheduler == null ? io.hydragen.generate.Scheduler.DEFAULT : io.hydragen.generate.Scheduler.parse(scheduler)).cliName();
        // validates max_new_tokens, temperature, top_k, top_p and n with the engine's own rules (NaN, infinite and
        // out-of-range values are refused there, for the CLI and Spark alike)
        new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n, null, logprobs, promptLogprobs);
        if (constraint != null && constraint.isBlank()) constraint = null;
        if (constraint != null) io.hydragen.constrain.Constraint.parse(constraint); // a malformed one fails here (a schema's keywords on the executor, per row)
        java.util.EnumMap<RowSetting, String> columns = new java.util.EnumMap<>(RowSetting.class);
        if (settingColumns != null) settingColumns.forEach((k, v) -> { if (v != null && !v.isBlank()) columns.put(k, v); });
        settingColumns = java.util.Collections.unmodifiableMap(columns);
    }

    /** Without a constraint, static scheduling. */
    public GenerateOptions(String model, String promptColumn, String idColumn, int maxNewTokens, double temperature, int topK,
                           double topP, long seed, List<String> stop, List<Integer> stopTokenIds, boolean ignoreEos, int n,
                           List<String> prefixColumns, int batchSize, int minSharedTokens, String backend, String attention,
                           int partitions, int routingPrefixChars, boolean perRowSeeds, String routing, String messagesColumn,
                           String chatTemplate, boolean addGenerationPrompt, String generationConfig, java.util.Set<String> userSettings) {
        this(model, promptColumn, idColumn, maxNewTokens, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n,
                prefixColumns, batchSize, minSharedTokens, backend, attention, partitions, routingPrefixChars, perRowSeeds,
                routing, messagesColumn, chatTemplate, addGenerationPrompt, generationConfig, userSettings, null, null, null, null, null);
    }

    /**
     * The seed a row's samples use, recorded in its {@code seed} column: derived from {@link #seed} and the row's
     * identity by {@link io.hydragen.seed.RowSeeds} (the CLI's rule), or {@link #seed} as is without per-row seeds.
     *
     * @param id               the row's id column value as text, or null (then the prompt and its ordinal count)
     * @param duplicateOrdinal the row's ordinal among rows with the same prompt
     */
    public long rowSeed(String id, String prompt, long duplicateOrdinal) {
        return perRowSeeds ? io.hydragen.seed.RowSeeds.forRow(seed, id, prompt, duplicateOrdinal) : seed;
    }

    /** Sampling parameters for one row, whose seed is derived from this options' seed and the row's identity. */
    public SamplingParams samplingParams(long rowSeed) { return samplingParams(rowSeed, GenerationDefaults.NONE); }

    /**
     * Sampling parameters for one row, with the model's generation_config.json defaults for the settings the user
     * left unset ({@link #generationConfig} {@code auto}).
     */
    public SamplingParams samplingParams(long rowSeed, GenerationDefaults model) {
        if (!perRowSeeds) rowSeed = seed;
        GenerationDefaults d = generationConfig.equals("ignore") || model == null ? GenerationDefaults.NONE : model;
        return new SamplingParams(
                userSettings.contains(OptionKeys.MAX_NEW_TOKENS) ? maxNewTokens : d.maxNewTokens() != null ? d.maxNewTokens() : maxNewTokens,
                userSettings.contains(OptionKeys.TEMPERATURE) ? temperature : d.temperature() != null ? d.temperature() : temperature,
                userSettings.contains(OptionKeys.TOP_K) ? topK : d.topK() != null ? d.topK() : topK,
                userSettings.contains(OptionKeys.TOP_P) ? topP : d.topP() != null ? d.topP() : topP,
                rowSeed, stop, stopTokenIds, ignoreEos, n)
                .withConstraint(constraint == null ? null : io.hydragen.constrain.Constraint.parse(constraint))
                .withLogprobs(logprobs).withPromptLogprobs(promptLogprobs);
    }

    /**
     * The type of the {@code parsed} output column: that of the call-level JSON schema's documents
     * ({@link JsonSchemaSparkType}) when it is a struct, an array or a map, else null (no {@code parsed} column).
     */
    public org.apache.spark.sql.types.DataType parsedType() {
        if (constraint == null) return null;
        if (!(io.hydragen.constrain.Constraint.parse(constraint) instanceof io.hydragen.constrain.Constraint.JsonSchema js)) return null;
        org.apache.spark.sql.types.DataType t = JsonSchemaSparkType.of(js.schema());
        return JsonSchemaSparkType.parsable(t) ? t : null;
    }

    /** The model's defaults these options use: those of the engine's model, or none with {@code generation_config=ignore}. */
    public GenerationDefaults generationDefaults(io.hydragen.generate.Engine engine) {
        if (generationConfig.equals("ignore")) return GenerationDefaults.NONE;
        try {
            return engine.generationDefaults();
        } catch (RuntimeException e) {
            return GenerationDefaults.NONE; // an unreadable generation_config.json: the built-in defaults
        }
    }

    public AttentionMode attentionMode() { return AttentionMode.parse(attention); }

    /** The engine's per-call batching for these options: a loaded model serves every setting. */
    public BatchOptions batchOptions() {
        return new BatchOptions(attentionMode(), minSharedTokens, Math.max(1, batchSize * n)).withScheduler(schedulerKind());
    }

    /** {@link #scheduler} as the engine's enum. */
    public io.hydragen.generate.Scheduler schedulerKind() { return io.hydragen.generate.Scheduler.parse(scheduler); }

    /** Whether rows are generated by continuous batching and leave in finishing order. */
    public boolean continuous() { return schedulerKind() == io.hydragen.generate.Scheduler.CONTINUOUS; }

    /** Whether the output has {@code logprobs} and {@code cumulative_logprob}: asked for by the call or a column. */
    public boolean completionLogprobs() { return logprobs != null || settingColumns.containsKey(RowSetting.LOGPROBS); }

    /** Whether the output has {@code prompt_logprobs}. */
    public boolean promptLogprobsColumn() { return promptLogprobs != null; }

    /** Whether rows carry conversations ({@link #messagesColumn}) rather than prompts; see {@link #resolveFor}. */
    public boolean chat() { return messagesColumn != null; }

    /**
     * These options for a table: when no messages column is set and the table has no prompt column but has a column
     * named {@value #DEFAULT_MESSAGES_COLUMN}, that column's conversations are the input. Otherwise unchanged.
     */
    public GenerateOptions resolveFor(org.apache.spark.sql.types.StructType schema) {
        if (messagesColumn != null || has(schema, promptColumn) || !has(schema, DEFAULT_MESSAGES_COLUMN)) return this;
        return toBuilder().messagesColumn(DEFAULT_MESSAGES_COLUMN).build();
    }

    private static boolean has(org.apache.spark.sql.types.StructType schema, String name) {
        for (String f : schema.fieldNames()) if (f.equalsIgnoreCase(name)) return true;
        return false;
    }

    public boolean explicitPrefixes() { return !prefixColumns.isEmpty(); }

    public boolean prefixRouting() { return routing.equals("prefix"); }

    public static Builder builder(String model) { return new Builder().model(model); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.model = model; b.promptColumn = promptColumn; b.idColumn = idColumn; b.maxNewTokens = maxNewTokens;
        b.temperature = temperature; b.topK = topK; b.topP = topP; b.seed = seed; b.stop = stop;
        b.stopTokenIds = stopTokenIds; b.ignoreEos = ignoreEos; b.n = n; b.prefixColumns = prefixColumns;
        b.batchSize = batchSize; b.minSharedTokens = minSharedTokens; b.backend = backend; b.attention = attention;
        b.partitions = partitions; b.routingPrefixChars = routingPrefixChars;
        b.perRowSeeds = perRowSeeds; b.routing = routing;
        b.messagesColumn = messagesColumn; b.chatTemplate = chatTemplate; b.addGenerationPrompt = addGenerationPrompt;
        b.generationConfig = generationConfig; b.userSettings = new java.util.HashSet<>(userSettings);
        b.constraint = constraint;
        b.scheduler = scheduler;
        b.settingColumns = new java.util.EnumMap<>(RowSetting.class);
        b.settingColumns.putAll(settingColumns);
        b.logprobs = logprobs;
        b.promptLogprobs = promptLogprobs;
        return b;
    }

    /**
     * Options from string key/value pairs (SQL function arguments, DataSource options). Keys are case-insensitive
     * snake_case ({@link OptionKeys}); list values ({@code stop}, {@code prefix_columns}, {@code stop_token_ids})
     * are a JSON array ({@code ["," , "\n\n"]}) or comma-separated ({@link #parseList}). Unknown keys are rejected
     * with the nearest known key, so a typo does not silently fall back to a default.
     *
     * @param defaultModel used when the map has no {@code model} (e.g. the session's {@code spark.hydragen.model}); may be null
     */
    public static GenerateOptions fromMap(Map<String, String> options, String defaultModel) {
        Builder b = new Builder().model(defaultModel);
        for (Map.Entry<String, String> e : options.entrySet()) {
            String key = e.getKey().toLowerCase(Locale.ROOT);
            String v = e.getValue();
            try {
                switch (key) {
                    case OptionKeys.MODEL -> b.model(v);
                    case OptionKeys.PROMPT_COLUMN -> b.promptColumn(v);
                    case OptionKeys.ID_COLUMN -> b.idColumn(v == null || v.isBlank() ? null : v);
                    case OptionKeys.MAX_NEW_TOKENS -> b.maxNewTokens(Integer.parseInt(v.trim()));
                    case OptionKeys.TEMPERATURE -> b.temperature(Double.parseDouble(v.trim()));
                    case OptionKeys.TOP_K -> b.topK(Integer.parseInt(v.trim()));
                    case OptionKeys.TOP_P -> b.topP(Double.parseDouble(v.trim()));
                    case OptionKeys.SEED -> b.seed(Long.parseLong(v.trim()));
                    case OptionKeys.STOP -> b.stop(parseList(key, v));
                    case OptionKeys.STOP_TOKEN_IDS -> b.stopTokenIds(parseList(key, v).stream().map(t -> Integer.valueOf(t.trim())).toList());
                    case OptionKeys.IGNORE_EOS -> b.ignoreEos(parseBoolean(key, v));
                    case OptionKeys.N -> b.n(Integer.parseInt(v.trim()));
                    case OptionKeys.PREFIX_COLUMNS -> b.prefixColumns(parseList(key, v));
                    case OptionKeys.BATCH_SIZE -> b.batchSize(Integer.parseInt(v.trim()));
                    case OptionKeys.MIN_SHARED_TOKENS -> b.minSharedTokens(Integer.parseInt(v.trim()));
                    case OptionKeys.BACKEND -> b.backend(v);
                    case OptionKeys.ATTENTION -> b.attention(v);
                    case OptionKeys.PARTITIONS -> b.partitions(Integer.parseInt(v.trim()));
                    case OptionKeys.ROUTING_PREFIX_CHARS -> b.routingPrefixChars(Integer.parseInt(v.trim()));
                    case "threads" -> throw new IllegalArgumentException("option 'threads' is an executor setting now: "
                            + "set spark.hydragen.threads (0 = the executor's cores)");
                    case OptionKeys.PER_ROW_SEEDS -> b.perRowSeeds(parseBoolean(key, v));
                    case OptionKeys.ROUTING -> b.routing(v);
                    case OptionKeys.MESSAGES_COLUMN -> b.messagesColumn(v);
                    case OptionKeys.CHAT_TEMPLATE -> b.chatTemplate(v);
                    case OptionKeys.ADD_GENERATION_PROMPT -> b.addGenerationPrompt(parseBoolean(key, v));
                    case OptionKeys.GENERATION_CONFIG -> b.generationConfig(v);
                    case OptionKeys.RESPONSE_FORMAT -> b.responseFormat(v);
                    case OptionKeys.REGEX -> b.regex(v);
                    case OptionKeys.CHOICE -> b.choice(parseList(key, v));
                    case OptionKeys.SCHEDULER -> b.scheduler(v);
                    case OptionKeys.LOGPROBS -> b.logprobs(v == null || v.isBlank() ? null : Integer.valueOf(v.trim()));
                    case OptionKeys.PROMPT_LOGPROBS -> b.promptLogprobs(v == null || v.isBlank() ? null : Integer.valueOf(v.trim()));
                    default -> {
                        RowSetting s = RowSetting.ofColumnOption(key);
                        if (s == null) throw new IllegalArgumentException("unknown option '" + e.getKey() + "'"
                            + Suggestions.didYouMean(key, OptionKeys.ALL) + "; known: " + String.join(", ", OptionKeys.ALL));
                        b.settingColumn(s, v);
                    }
                }
            } catch (NumberFormatException | NullPointerException ex) {
                throw new IllegalArgumentException("option '" + e.getKey() + "' has a bad value '" + v + "'");
            }
        }
        if (b.model == null) {
            throw new IllegalArgumentException("no model: pass option 'model' (a model directory or synthetic:NAME) "
                    + "or set spark.hydragen.model");
        }
        return b.build();
    }

    private static boolean parseBoolean(String key, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("1") || s.equals("yes")) return true;
        if (s.equals("false") || s.equals("0") || s.equals("no")) return false;
        throw new IllegalArgumentException("option '" + key + "' must be true or false, got '" + v + "'");
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A list option's values: a JSON array of strings (or numbers) when the value starts with {@code [}, e.g.
     * {@code [",", "\n\n"]}, which can hold any string; otherwise comma-separated, where {@code \,} is a literal
     * comma. A comma-separated value with an empty item ({@code ","}, {@code "a,,b"}) is ambiguous and refused.
     */
    public static List<String> parseList(String key, String v) {
        if (v == null || v.isEmpty()) return List.of();
        if (v.trim().startsWith("[")) {
            JsonNode node;
            try {
                node = JSON.readTree(v);
            } catch (Exception e) {
                throw new IllegalArgumentException("option '" + key + "' is not a valid JSON array: " + v);
            }
            if (node == null || !node.isArray()) throw new IllegalArgumentException("option '" + key + "' is not a valid JSON array: " + v);
            List<String> out = new ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isTextual() && !item.isNumber()) {
                    throw new IllegalArgumentException("option '" + key + "': JSON array items must be strings, got " + item);
                }
                if (item.asText().isEmpty()) throw new IllegalArgumentException("option '" + key + "' has an empty item: " + v);
                out.add(item.asText());
            }
            return out;
        }
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length() && v.charAt(i + 1) == ',') {
                cur.append(',');
                i++;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        if (out.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("option '" + key + "' value '" + v + "' has an empty item between commas; "
                    + "to include a comma write a JSON array, e.g. '[\",\", \"\\n\\n\"]' (or SQL array(',', ...)), "
                    + "or escape it as \\,");
        }
        return out;
    }

    private static final java.security.SecureRandom FRESH_SEEDS = new java.security.SecureRandom();

    /** A fresh run seed, for options built without one (as the CLI draws one without {@code --seed}). */
    public static long freshSeed() { return FRESH_SEEDS.nextLong(); }

    /** Mutable builder; defaults follow {@code bin/hydragen generate}. */
    public static final class Builder {
        private String model;
        private String promptColumn = "prompt";
        private String idColumn;
        private int maxNewTokens = 16;
        private double temperature = 0.0;
        private int topK = 0;
        private double topP = 1.0;
        private Long seed;   // null: drawn fresh at build()
        private List<String> stop = List.of();
        private List<Integer> stopTokenIds = List.of();
        private boolean ignoreEos;
        private int n = 1;
        private List<String> prefixColumns = List.of();
        private int batchSize = 256;
        private int minSharedTokens = 16;
        private String backend = "auto";
        private String attention = "hydragen";
        private int partitions = 0;
        private int routingPrefixChars = 64;
        private boolean perRowSeeds = true;
        private String routing = "prefix";
        private String messagesColumn;
        private String chatTemplate;
        private boolean addGenerationPrompt = true;
        private String generationConfig = "auto";
        private java.util.Set<String> userSettings = new java.util.HashSet<>();
        private String constraint;
        private String scheduler = io.hydragen.generate.Scheduler.DEFAULT.cliName();
        private java.util.EnumMap<RowSetting, String> settingColumns = new java.util.EnumMap<>(RowSetting.class);
        private Integer logprobs;
        private Integer promptLogprobs;

        public Builder model(String v) { model = v; return this; }
        public Builder promptColumn(String v) { promptColumn = v; return this; }
        public Builder idColumn(String v) { idColumn = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; userSettings.add(OptionKeys.MAX_NEW_TOKENS); return this; }
        public Builder temperature(double v) { temperature = v; userSettings.add(OptionKeys.TEMPERATURE); return this; }
        public Builder topK(int v) { topK = v; userSettings.add(OptionKeys.TOP_K); return this; }
        public Builder topP(double v) { topP = v; userSettings.add(OptionKeys.TOP_P); return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder stopTokenIds(List<Integer> v) { stopTokenIds = v; return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder n(int v) { n = v; return this; }
        public Builder prefixColumns(List<String> v) { prefixColumns = v; return this; }
        public Builder prefixColumns(String... v) { prefixColumns = List.of(v); return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder minSharedTokens(int v) { minSharedTokens = v; return this; }
        public Builder backend(String v) { backend = v; return this; }
        public Builder attention(String v) { attention = v; return this; }
        public Builder partitions(int v) { partitions = v; return this; }
        public Builder routingPrefixChars(int v) { routingPrefixChars = v; return this; }
        public Builder perRowSeeds(boolean v) { perRowSeeds = v; return this; }
        public Builder routing(String v) { routing = v; return this; }
        public Builder messagesColumn(String v) { messagesColumn = v; return this; }
        public Builder chatTemplate(String v) { chatTemplate = v; return this; }
        public Builder addGenerationPrompt(boolean v) { addGenerationPrompt = v; return this; }
        /** {@code auto} (default) or {@code ignore}: whether unset sampling settings come from generation_config.json. */
        public Builder generationConfig(String v) { generationConfig = v; return this; }
        /**
         * Structured output: an OpenAI-style {@code response_format} as JSON text ({@code {"type": "json_schema",
         * "schema": {...}}} or {@code {"type": "json_object"}}); {@code {"type": "text"}} or null: none.
         */
        public Builder responseFormat(String json) {
            JsonNode n = null;
            if (json != null && !json.isBlank()) {
                try {
                    n = new ObjectMapper().readTree(json);
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException("option 'response_format' is not valid JSON: " + e.getMessage());
                }
            }
            if (n == null || n.path("type").asText("").equals("text")) { constraint = null; return this; }
            io.hydragen.constrain.Constraint.parse(n);
            constraint = n.toString();
            return this;
        }
        /** Structured output: completions match this regular expression as a whole. */
        public Builder regex(String pattern) {
            constraint = pattern == null ? null : "{\"type\":\"regex\",\"pattern\":" + new ObjectMapper().valueToTree(pattern) + "}";
            return this;
        }
        /** Structured output: completions are one of these strings. */
        public Builder choice(List<String> choices) {
            constraint = choices == null ? null : "{\"type\":\"choice\",\"choices\":" + new ObjectMapper().valueToTree(choices) + "}";
            return this;
        }
        /** {@code static} (default) or {@code continuous} batching; see {@link GenerateOptions#scheduler}. */
        public Builder scheduler(String v) { scheduler = v; return this; }
        /** Log-probabilities of generated tokens with k alternatives (0..20); null: off. */
        public Builder logprobs(Integer k) { logprobs = k; return this; }
        /** Log-probabilities of prompt tokens with k alternatives (0..20); null: off. */
        public Builder promptLogprobs(Integer k) { promptLogprobs = k; return this; }
        /**
         * Per-row setting: the column whose non-null value replaces {@code setting} for its row (null or blank: none).
         * E.g. {@code settingColumn(RowSetting.TEMPERATURE, "temp")}, option {@code temperature_column=temp}.
         */
        public Builder settingColumn(RowSetting setting, String column) {
            if (column == null || column.isBlank()) settingColumns.remove(setting);
            else settingColumns.put(setting, column);
            return this;
        }

        /**
         * The options. Without a {@link #seed}, a fresh run seed is drawn here, once, as {@code bin/hydragen generate}
         * draws fresh seeds without {@code --seed}: each row's seed still derives from it and the row's identity, so
         * rows get different samples, every output row records its seed, and a task retry or a stage computed again
         * within the plan reuses these options and gives the same samples.
         */
        public GenerateOptions build() {
            long runSeed = seed != null ? seed : freshSeed();
            return new GenerateOptions(model, promptColumn, idColumn, maxNewTokens, temperature, topK, topP, runSeed, stop,
                    stopTokenIds, ignoreEos, n, prefixColumns, batchSize, minSharedTokens, backend, attention, partitions,
                    routingPrefixChars, perRowSeeds, routing, messagesColumn, chatTemplate, addGenerationPrompt,
                    generationConfig, userSettings, constraint, scheduler, settingColumns, logprobs, promptLogprobs);
        }
    }
}
