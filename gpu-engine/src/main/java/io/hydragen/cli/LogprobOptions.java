package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.generate.LogSoftmax;
import io.hydragen.generate.SamplingParams;
import picocli.CommandLine.Option;

/**
 * Log-probabilities for {@code hydragen generate}, with vLLM's names: {@code --logprobs K} and
 * {@code --prompt-logprobs K}; a prompt line's own {@code "logprobs"} / {@code "prompt_logprobs"} wins (null: off).
 */
final class LogprobOptions {
    static final String LOGPROBS = "logprobs";
    static final String PROMPT_LOGPROBS = "prompt_logprobs";

    @Option(names = "--logprobs", paramLabel = "K", description = {
            "Each output line gets \"logprobs\": every completion token's log-probability under the model's full",
            "distribution (before temperature, top-k, top-p and any constraint) with the K (0-20) most likely tokens,",
            "and \"cumulative_logprob\". A line's \"logprobs\" wins."})
    Integer logprobs;

    @Option(names = "--prompt-logprobs", paramLabel = "K", description = {
            "Each output line gets \"prompt_logprobs\": the same for every prompt token (the first null), with K (0-20)",
            "alternatives; computed once per shared prefix. With --max-new-tokens 0 the prompt is only prefilled.",
            "A line's \"prompt_logprobs\" wins."})
    Integer promptLogprobs;

    /** The flags applied to {@code p}; a usage error for a value out of range. */
    SamplingParams applyTo(SamplingParams p) {
        try {
            return p.withLogprobs(logprobs).withPromptLogprobs(promptLogprobs);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage().replace(PROMPT_LOGPROBS, "--prompt-logprobs").replace(LOGPROBS + " ", "--logprobs "));
        }
    }

    /** Why a prompt line's own values are unusable (not an integer in 0..20), or null. */
    static String rowError(JsonNode line) {
        for (String key : new String[] {LOGPROBS, PROMPT_LOGPROBS}) {
            JsonNode v = line.get(key);
            if (v == null || v.isNull()) continue;
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0 || v.intValue() > LogSoftmax.MAX_TOP) {
                return "\"" + key + "\" must be an integer between 0 and " + LogSoftmax.MAX_TOP + ", got " + v;
            }
        }
        return null;
    }

    /** A checked line's own values over {@code p}; a line's explicit null turns the flag's value off for it. */
    static SamplingParams rowParams(JsonNode line, SamplingParams p) {
        if (line == null) return p;
        JsonNode lp = line.get(LOGPROBS), plp = line.get(PROMPT_LOGPROBS);
        if (lp != null) p = p.withLogprobs(lp.isNull() ? null : lp.intValue());
        if (plp != null) p = p.withPromptLogprobs(plp.isNull() ? null : plp.intValue());
        return p;
    }
}
