package io.hydragen.generate;

/**
 * One sample of one request.
 *
 * @param sampleIndex 0..n-1
 * @param sharedPromptTokens prompt tokens whose KV this sample read from a segment shared with other samples
 * @param error why the request failed when {@code finishReason == ERROR}, else null
 * @param promptText the prompt as text: a text request's prompt, a messages request's rendered conversation (what
 *                   the chat template wrote), null for token requests and for messages the template refused
 */
public record Completion(String requestId, int sampleIndex, int[] promptTokenIds, String text, int[] tokenIds,
                         FinishReason finishReason, int sharedPromptTokens, String error, String promptText) {

    public Completion(String requestId, int sampleIndex, int[] promptTokenIds, String text, int[] tokenIds,
                      FinishReason finishReason, int sharedPromptTokens, String error) {
        this(requestId, sampleIndex, promptTokenIds, text, tokenIds, finishReason, sharedPromptTokens, error, null);
    }

    public static Completion error(String requestId, int sampleIndex, int[] promptTokenIds, String message) {
        return new Completion(requestId, sampleIndex, promptTokenIds == null ? new int[0] : promptTokenIds, "", new int[0],
                FinishReason.ERROR, 0, message);
    }

    public Completion withPromptText(String t) {
        return new Completion(requestId, sampleIndex, promptTokenIds, text, tokenIds, finishReason, sharedPromptTokens, error, t);
    }

    public int promptTokens() { return promptTokenIds.length; }

    public int completionTokens() { return tokenIds.length; }
}
