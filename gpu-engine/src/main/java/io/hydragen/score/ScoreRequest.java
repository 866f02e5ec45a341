package io.hydragen.score;

import io.hydragen.chat.ChatMessage;

import java.util.List;

/**
 * A prompt (text, or a conversation the model's chat template renders) and the candidate continuations to score.
 *
 * @param id the caller's identifier, echoed in the {@link ScoreResult}
 * @param prompt the prompt text, or null when {@code messages} is given
 * @param messages a conversation rendered as transformers' {@code apply_chat_template} does, or null
 * @param addGenerationPrompt for messages: end the rendered text with the assistant's turn header
 * @param chatTemplate for messages: a template file instead of the model's own, or null
 * @param candidates the continuations, scored in this order
 */
public record ScoreRequest(String id, String prompt, List<ChatMessage> messages, boolean addGenerationPrompt, String chatTemplate,
                           List<String> candidates) {
    public ScoreRequest {
        if (messages != null) messages = List.copyOf(messages);
        candidates = candidates == null ? null : List.copyOf(candidates);
    }

    public static ScoreRequest ofText(String id, String prompt, List<String> candidates) {
        return new ScoreRequest(id, prompt, null, true, null, candidates);
    }

    public static ScoreRequest ofMessages(String id, List<ChatMessage> messages, boolean addGenerationPrompt, String chatTemplate,
                                          List<String> candidates) {
        return new ScoreRequest(id, null, messages, addGenerationPrompt, chatTemplate, candidates);
    }
}
