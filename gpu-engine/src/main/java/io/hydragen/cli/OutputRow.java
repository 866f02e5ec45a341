package io.hydragen.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.generate.Completion;

/**
 * One line of {@code generate}'s output: one sample of one prompt. Every field is in every line: {@code sample_index}
 * is null when {@code --n} is 1, {@code error} is null unless {@code finish_reason} is {@code "error"}, {@code seed}
 * (the row's seed, see {@link io.hydragen.seed.RowSeeds}) is null for a line that never reached the engine. A
 * {@code "messages"} line also gets {@code prompt}: the text its chat template rendered (a prompt line carries its own
 * {@code prompt} through with its other input fields). {@code logprobs} and {@code cumulative_logprob}
 * ({@code --logprobs}), {@code prompt_logprobs} ({@code --prompt-logprobs}, its first entry null) only when asked for.
 */
@JsonPropertyOrder({"id", "sample_index", "seed", "prompt", "prompt_token_ids", "completion", "completion_token_ids", "finish_reason", "error",
        "prompt_tokens", "completion_tokens", "shared_prompt_tokens", "logprobs", "cumulative_logprob", "prompt_logprobs"})
record OutputRow(
        @JsonProperty("id") JsonNode id,
        @JsonProperty("sample_index") Integer sampleIndex,
        @JsonProperty("seed") Long seed,
        @JsonProperty("prompt_token_ids") int[] promptTokenIds,
        @JsonProperty("completion") String completion,
        @JsonProperty("completion_token_ids") int[] completionTokenIds,
        @JsonProperty("finish_reason") String finishReason,
        @JsonProperty("error") String error,
        @JsonProperty("prompt_tokens") int promptTokens,
        @JsonProperty("completion_tokens") int completionTokens,
        @JsonProperty("shared_prompt_tokens") int sharedPromptTokens,
        @JsonProperty("prompt") @JsonInclude(JsonInclude.Include.NON_NULL) String prompt,
        @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.NON_NULL) java.util.List<LogprobJson> logprobs,
        @JsonProperty("cumulative_logprob") @JsonInclude(JsonInclude.Include.NON_NULL) Double cumulativeLogprob,
        @JsonProperty("prompt_logprobs") @JsonInclude(JsonInclude.Include.NON_NULL) java.util.List<LogprobJson> promptLogprobs) {

    /** This row with the rendered prompt of a messages line. */
    OutputRow withPrompt(String p) {
        return new OutputRow(id, sampleIndex, seed, promptTokenIds, completion, completionTokenIds, finishReason, error,
                promptTokens, completionTokens, sharedPromptTokens, p, logprobs, cumulativeLogprob, promptLogprobs);
    }

    static OutputRow of(JsonNode id, Integer sampleIndex, Long seed, Completion c) {
        return new OutputRow(id, sampleIndex, seed, c.promptTokenIds(), c.text(), c.tokenIds(), c.finishReason().wireName(), c.error(),
                c.promptTokens(), c.completionTokens(), c.sharedPromptTokens(), null,
                LogprobJson.of(c.logprobs()), c.cumulativeLogprob(), LogprobJson.of(c.promptLogprobs()));
    }

    static OutputRow error(JsonNode id, Integer sampleIndex, String message) {
        return new OutputRow(id, sampleIndex, null, new int[0], "", new int[0], io.hydragen.generate.FinishReason.ERROR.wireName(), message, 0, 0, 0, null, null, null, null);
    }
}
