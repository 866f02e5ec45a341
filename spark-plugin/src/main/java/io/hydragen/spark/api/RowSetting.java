package io.hydragen.spark.api;

import java.util.Locale;

/**
 * A sampling setting that may come from a column of the prompt table instead of a constant (issues #10 and #11), as
 * Ray Data LLM allows per-row sampling parameters. The option {@link #columnOption()} names the column; a row whose
 * cell is null uses the call-level setting, a row whose cell holds a bad value gets that as its error
 * ({@link io.hydragen.spark.exec.RowSettings}).
 */
public enum RowSetting {
    MAX_NEW_TOKENS(OptionKeys.MAX_NEW_TOKENS, OptionKeys.MAX_NEW_TOKENS_COLUMN),
    TEMPERATURE(OptionKeys.TEMPERATURE, OptionKeys.TEMPERATURE_COLUMN),
    TOP_K(OptionKeys.TOP_K, OptionKeys.TOP_K_COLUMN),
    TOP_P(OptionKeys.TOP_P, OptionKeys.TOP_P_COLUMN),
    /** Used as is: it replaces the seed derived from {@code seed} and the row's identity. */
    SEED(OptionKeys.SEED, OptionKeys.SEED_COLUMN),
    STOP(OptionKeys.STOP, OptionKeys.STOP_COLUMN),
    /** A row's own constraint (this, {@link #REGEX} or {@link #CHOICE}) wins over the call-level one. */
    RESPONSE_FORMAT(OptionKeys.RESPONSE_FORMAT, OptionKeys.RESPONSE_FORMAT_COLUMN),
    REGEX(OptionKeys.REGEX, OptionKeys.REGEX_COLUMN),
    CHOICE(OptionKeys.CHOICE, OptionKeys.CHOICE_COLUMN),
    /** k alternatives (0..20) for this row's generated tokens; the output then has the {@code logprobs} columns. */
    LOGPROBS(OptionKeys.LOGPROBS, OptionKeys.LOGPROBS_COLUMN);

    private final String key;
    private final String columnOption;

    RowSetting(String key, String columnOption) {
        this.key = key;
        this.columnOption = columnOption;
    }

    /** The setting's option key, also its field name in a row's settings ({@code temperature}). */
    public String key() { return key; }

    /** The option naming its column ({@code temperature_column}). */
    public String columnOption() { return columnOption; }

    /** The setting whose column option this is, or null. */
    public static RowSetting ofColumnOption(String option) {
        String o = option.toLowerCase(Locale.ROOT);
        for (RowSetting s : values()) if (s.columnOption.equals(o)) return s;
        return null;
    }
}
