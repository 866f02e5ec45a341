package io.hydragen.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.generate.Completion;

/**
 * One line of {@code generate}'s output: one sample of one prompt. {@code sample_index} only appears when
 * {@code --n} is above 1; {@code error} is null unless {@code finish_reason} is {@code "error"}; {@code prompt} only
 * appears for a {@code "messages"} line: the text its chat template rendered.
 */
@JsonPropertyOrder({"id", "sample_index", "prompt", "prompt_token_ids", "completion", "completion_token_ids", "finish_reason", "error",
        "prompt_tokens", "completion_tokens", "shared_prompt_tokens"})
record OutputRow(
        @JsonProperty("id") JsonNode id,
        @JsonProperty("sample_index") @JsonInclude(JsonInclude.Include.NON_NULL) Integer sampleIndex,
        @JsonProperty("prompt_token_ids") int[] promptTokenIds,
        @JsonProperty("completion") String completion,
        @JsonProperty("completion_token_ids") int[] completionTokenIds,
        @JsonProperty("finish_reason") String finishReason,
        @JsonProperty("error") String error,
        @JsonProperty("prompt_tokens") int promptTokens,
        @JsonProperty("completion_tokens") int completionTokens,
        @JsonProperty("shared_prompt_tokens") int sharedPromptTokens,
        @JsonProperty("prompt") @JsonInclude(JsonInclude.Include.NON_NULL) String prompt) {

    OutputRow(JsonNode id, Integer sampleIndex, int[] promptTokenIds, String completion, int[] completionTokenIds,
              String finishReason, String error, int promptTokens, int completionTokens, int sharedPromptTokens) {
        this(id, sampleIndex, promptTokenIds, completion, completionTokenIds, finishReason, error, promptTokens,
                completionTokens, sharedPromptTokens, null);
    }

    /** This row with the rendered prompt of a messages line. */
    OutputRow withPrompt(String p) {
        return new OutputRow(id, sampleIndex, promptTokenIds, completion, completionTokenIds, finishReason, error,
                promptTokens, completionTokens, sharedPromptTokens, p);
    }

    static OutputRow of(JsonNode id, Integer sampleIndex, Completion c) {
        return new OutputRow(id, sampleIndex, c.promptTokenIds(), c.text(), c.tokenIds(), c.finishReason().wireName(), c.error(),
                c.promptTokens(), c.completionTokens(), c.sharedPromptTokens());
    }

    static OutputRow error(JsonNode id, Integer sampleIndex, String message) {
        return new OutputRow(id, sampleIndex, new int[0], "", new int[0], io.hydragen.generate.FinishReason.ERROR.wireName(), message, 0, 0, 0);
    }
}
