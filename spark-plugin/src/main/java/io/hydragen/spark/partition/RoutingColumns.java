package io.hydragen.spark.partition;

/** Names of the working columns routing adds; they never reach the output. */
public final class RoutingColumns {
    private RoutingColumns() {}

    /** The prompt cast to string; null when the cell is null or not valid UTF-8. */
    public static final String PROMPT = "__hg_prompt";
    /** Whether the prompt cell is set but not valid UTF-8 ({@link io.hydragen.spark.exec.Utf8Prompts}). */
    public static final String PROMPT_NOT_UTF8 = "__hg_prompt_not_utf8";
    /** Automatic mode: the first characters of the prompt. */
    public static final String KEY = "__hg_key";
    /** Hash of a row's whole content: a tie-breaker that depends on what the row holds, not where it is. */
    public static final String ROW_HASH = "__hg_row_hash";
    /** Position of the row inside its prefix group, in prompt order. */
    public static final String GROUP_ORDINAL = "__hg_group_ordinal";
    /** Ordinal of the row among rows of its group with the same prompt (seed identity). */
    public static final String DUPLICATE_ORDINAL = "__hg_duplicate_ordinal";
    /** The id column cast to string, or null (seed identity). */
    public static final String IDENTITY = "__hg_identity";
    /** Which batch-sized slice of its group the row belongs to. */
    public static final String SALT = "__hg_salt";
    /** Hash of (group key, salt): rows with one unit are batched together. */
    public static final String UNIT = "__hg_unit";
    /** The row's own settings ({@code GenerateOptions.settingColumns}) as a JSON object, or null when none is set. */
    public static final String SETTINGS = "__hg_settings";
}
