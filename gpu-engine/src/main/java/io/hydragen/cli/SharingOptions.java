package io.hydragen.cli;

import io.hydragen.attention.AttentionMode;
import io.hydragen.generate.EngineOptions;
import picocli.CommandLine.Option;

/**
 * How the prompts of one run share their KV, for the commands that answer prompt lines ({@code generate},
 * {@code score}); {@code bench} takes a list of modes and has its own flag.
 */
final class SharingOptions {
    @Option(names = "--attention", defaultValue = "hydragen", converter = AttentionModeConverter.class, paramLabel = "MODE",
            description = "hydragen, per-sequence or per-sequence-shared-kv (default ${DEFAULT-VALUE}).")
    AttentionMode attention;

    @Option(names = "--min-shared-tokens", defaultValue = "16", paramLabel = "N",
            description = "A prefix shared by two or more requests (samples, or scored candidates) becomes a shared KV segment from this length on (default ${DEFAULT-VALUE}).")
    int minSharedTokens;

    void check() {
        if (attention == AttentionMode.NONE) throw new UsageException("--attention none skips attention and produces garbage; it is for 'hydragen bench' only");
        if (minSharedTokens < 1) throw new UsageException("--min-shared-tokens must be >= 1, got " + minSharedTokens);
    }

    EngineOptions applyTo(EngineOptions o) { return o.withAttention(attention).withMinSharedTokens(minSharedTokens); }
}
