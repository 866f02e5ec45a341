package io.hydragen.attention;

/** How attention is computed; all modes share KV for common prefixes, they differ in how it is read. */
public enum AttentionMode {
    /** Hydragen: per-segment attention with queries batched across all sequences under the segment, merged by log-sum-exp. */
    HYDRAGEN,
    /** The usual attention: each sequence alone over its full KV (shared segments read once per sequence). */
    PER_SEQUENCE,
    /** Attention skipped (output zero): the upper bound for benchmarks, never for real output. */
    NONE;

    public static AttentionMode parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT).replace('_', '-')) {
            case "hydragen" -> HYDRAGEN;
            case "per-sequence", "persequence", "baseline" -> PER_SEQUENCE;
            case "none" -> NONE;
            default -> throw new IllegalArgumentException("unknown attention mode '" + s + "' (hydragen, per-sequence, none)");
        };
    }

    public String cliName() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
}
