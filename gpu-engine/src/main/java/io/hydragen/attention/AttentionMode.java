package io.hydragen.attention;

/** How attention is computed; all modes share KV for common prefixes, they differ in how it is read. */
public enum AttentionMode {
    /** Hydragen: per-segment attention with queries batched across all sequences under the segment, merged by log-sum-exp. */
    HYDRAGEN,
    /**
     * The usual attention: each sequence alone over its own full KV, as an engine without prefix sharing keeps it
     * (prefill is still shared; its KV is then copied to every sequence). The baseline.
     */
    PER_SEQUENCE,
    /**
     * Each sequence alone over its full KV, with shared segments stored once and read once per sequence (paged KV
     * with prefix caching, as vLLM does): per-sequence attention without the memory copies.
     */
    PER_SEQUENCE_SHARED_KV,
    /** Attention skipped (output zero): the upper bound for benchmarks, never for real output. */
    NONE;

    public static AttentionMode parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT).replace('_', '-')) {
            case "hydragen" -> HYDRAGEN;
            case "per-sequence", "persequence", "baseline" -> PER_SEQUENCE;
            case "per-sequence-shared-kv" -> PER_SEQUENCE_SHARED_KV;
            case "none" -> NONE;
            default -> throw new IllegalArgumentException("unknown attention mode '" + s + "' (hydragen, per-sequence, per-sequence-shared-kv, none)");
        };
    }

    /** Whether each sequence attends alone over its whole path (no batching across sequences). */
    public boolean perSequence() { return this == PER_SEQUENCE || this == PER_SEQUENCE_SHARED_KV; }

    public String cliName() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
}
