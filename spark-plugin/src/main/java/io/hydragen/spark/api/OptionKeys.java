package io.hydragen.spark.api;

import java.util.List;

/** The string keys of {@link GenerateOptions} for SQL function arguments and DataSource options. */
public final class OptionKeys {
    private OptionKeys() {}

    public static final String MODEL = "model";
    public static final String PROMPT_COLUMN = "prompt_column";
    public static final String ID_COLUMN = "id_column";
    public static final String MAX_NEW_TOKENS = "max_new_tokens";
    public static final String TEMPERATURE = "temperature";
    public static final String TOP_K = "top_k";
    public static final String TOP_P = "top_p";
    public static final String SEED = "seed";
    public static final String STOP = "stop";
    public static final String STOP_TOKEN_IDS = "stop_token_ids";
    public static final String IGNORE_EOS = "ignore_eos";
    public static final String N = "n";
    public static final String PREFIX_COLUMNS = "prefix_columns";
    public static final String BATCH_SIZE = "batch_size";
    public static final String MIN_SHARED_TOKENS = "min_shared_tokens";
    public static final String BACKEND = "backend";
    public static final String ATTENTION = "attention";
    public static final String PARTITIONS = "partitions";
    public static final String ROUTING_PREFIX_CHARS = "routing_prefix_chars";
    public static final String PER_ROW_SEEDS = "per_row_seeds";
    public static final String ROUTING = "routing";
    public static final String MESSAGES_COLUMN = "messages_column";
    public static final String CHAT_TEMPLATE = "chat_template";
    public static final String ADD_GENERATION_PROMPT = "add_generation_prompt";
    public static final String GENERATION_CONFIG = "generation_config";
    /** Structured output (issue #11): {@code {"type": "json_schema", "schema": {...}}} or {@code {"type": "json_object"}}. */
    public static final String RESPONSE_FORMAT = "response_format";
    /** Structured output: a regular expression the completion matches as a whole. */
    public static final String REGEX = "regex";
    /** Structured output: the completion is one of these strings (a JSON array or comma-separated). */
    public static final String CHOICE = "choice";
    public static final String SCHEDULER = "scheduler";
    /** Log-probabilities of the generated tokens with k alternatives (0..20), vLLM's {@code logprobs}. */
    public static final String LOGPROBS = "logprobs";
    /** Log-probabilities of the prompt tokens with k alternatives (0..20), vLLM's {@code prompt_logprobs}. */
    public static final String PROMPT_LOGPROBS = "prompt_logprobs";

    // Per-row settings (issue #10/#11): each names a column whose non-null value replaces the call-level setting for
    // that row ({@link RowSetting}).
    public static final String MAX_NEW_TOKENS_COLUMN = "max_new_tokens_column";
    public static final String TEMPERATURE_COLUMN = "temperature_column";
    public static final String TOP_K_COLUMN = "top_k_column";
    public static final String TOP_P_COLUMN = "top_p_column";
    public static final String SEED_COLUMN = "seed_column";
    public static final String STOP_COLUMN = "stop_column";
    public static final String RESPONSE_FORMAT_COLUMN = "response_format_column";
    public static final String REGEX_COLUMN = "regex_column";
    public static final String CHOICE_COLUMN = "choice_column";
    public static final String LOGPROBS_COLUMN = "logprobs_column";

    public static final List<String> ALL = List.of(MODEL, PROMPT_COLUMN, ID_COLUMN, MAX_NEW_TOKENS, TEMPERATURE, TOP_K,
            TOP_P, SEED, STOP, STOP_TOKEN_IDS, IGNORE_EOS, N, PREFIX_COLUMNS, BATCH_SIZE, MIN_SHARED_TOKENS, BACKEND,
            ATTENTION, PARTITIONS, ROUTING_PREFIX_CHARS, PER_ROW_SEEDS, ROUTING,
            MESSAGES_COLUMN, CHAT_TEMPLATE, ADD_GENERATION_PROMPT, GENERATION_CONFIG, RESPONSE_FORMAT, REGEX, CHOICE, SCHEDULER, LOGPROBS, PROMPT_LOGPROBS,
            MAX_NEW_TOKENS_COLUMN, TEMPERATURE_COLUMN, TOP_K_COLUMN, TOP_P_COLUMN, SEED_COLUMN, STOP_COLUMN,
            RESPONSE_FORMAT_COLUMN, REGEX_COLUMN, CHOICE_COLUMN, LOGPROBS_COLUMN);
}
