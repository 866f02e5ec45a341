package io.hydragen.generate;

import java.util.List;

/**
 * One sample of one request.
 *
 * @param sampleIndex 0..n-1
 * @param sharedPromptTokens prompt tokens whose KV this sample read from a segment shared with other samples
 * @param error why the request failed when {@code finishReason == ERROR}, else null
 * @param promptText the prompt as text: a text request's prompt, a messages request's rendered conversation (what
 *                   the chat template wrote), null for token requests and for messages the template refused
 * @param logprobs one entry per completion token when {@link SamplingParams#logprobs()} is set, else null
 * @param cumulativeLogprob the sum of {@code logprobs}' values when they are asked for, else null
 * @param promptLogprobs one entry per prompt token when {@link SamplingParams#promptLogprobs()} is set (the first
 *                       null: nothing predicts it), else null
 */
public record Completion(String requestId, int sampleIndex, int[] promptTokenIds, String text, int[] tokenIds,
                         FinishReason finishReason, int sharedPromptTokens, String error, String promptText,
                         List<TokenLogprob> logprobs, Double cumulativeLogprob, List<TokenLogprob> promptLogprobs) {

    public Completion(String requestId, int sampleIndex, int[] promptTokenIds, String text, int[] tokenIds,
                      FinishReason finishReason, int sharedPromptTokens, String error, String promptText) {
        this(requestId, sampleIndex, promptTokenIds, text, tokenIds, finishReason, sharedPromptTokens, error, promptText, null, null, null);
    }

    public Completion(String requestId, int sampleIndex, int[] promptTokenIds, String text, int[] tokenIds,
                      FinishReason finishReason, int sharedPromptTokens, String error) {
        this(requestId, sampleIndex, promptTokenIds, text, tokenIds, finishReason, sharedPromptTokens, error, null);
    }

    public static Completion error(String requestId, int sampleIndex, int[] promptTokenIds, String message) {
        return new Completion(requestId, sampleIndex, promptTokenIds == null ? new int[0] : promptTokenIds, "", new int[0],
                FinishReason.ERROR, 0, message);
    }

    public Completion withPromptText(String t) {
        return new Completion(requestId, sampleIndex, promptTokenIds, text, tokenIds, finishReason, sharedPromptTokens, error, t,
                logprobs, cumulativeLogprob, promptLogprobs);
    }

    /** This completion with its log-probabilities (each null when not asked for). */
    public Completion withLogprobs(List<TokenLogprob> completion, Double cumulative, List<TokenLogprob> prompt) {
        return new Completion(requestId, sampleIndex, promptTokenIds, text, tokenIds, finishReason, sharedPromptTokens, error, promptText,
                completion, cumulative, prompt);
    }

    public int promptTokens() { return promptTokenIds.length; }

    public int completionTokens() { return tokenIds.length; }
}
