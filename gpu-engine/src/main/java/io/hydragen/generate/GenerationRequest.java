package io.hydragen.generate;

import io.hydragen.chat.ChatMessage;
import java.util.List;

/**
 * One prompt to complete: text, token ids when the caller tokenized already, or a conversation that the model's chat
 * template renders (ids win over messages, messages over text).
 *
 * @param id the caller's identifier, echoed in each {@link Completion}
 * @param messages a conversation of {@code {role, content}} turns, or null: rendered with the chat template as
 *                 transformers' {@code apply_chat_template} does and tokenized without adding special tokens again
 * @param addGenerationPrompt for messages: end the rendered text with the assistant's turn header (default true)
 * @param chatTemplate for messages: a chat template file that replaces the model's own, or null for the model's
 *                     ({@code chat_template.jinja}, else {@code tokenizer_config.json}'s {@code chat_template}); the
 *                     engine loads each template once and keeps it
 */
public record GenerationRequest(String id, String prompt, int[] promptTokenIds, SamplingParams params,
                                List<ChatMessage> messages, boolean addGenerationPrompt, String chatTemplate) {

    public GenerationRequest {
        if (messages != null) messages = List.copyOf(messages);
    }

    public GenerationRequest(String id, String prompt, int[] promptTokenIds, SamplingParams params) {
        this(id, prompt, promptTokenIds, params, null, true, null);
    }

    public static GenerationRequest ofText(String id, String prompt, SamplingParams params) {
        return new GenerationRequest(id, prompt, null, params);
    }

    public static GenerationRequest ofTokens(String id, int[] ids, SamplingParams params) {
        return new GenerationRequest(id, null, ids, params);
    }

    /** A conversation, rendered with the model's chat template. */
    public static GenerationRequest ofMessages(String id, List<ChatMessage> messages, boolean addGenerationPrompt, SamplingParams params) {
        return new GenerationRequest(id, null, null, params, messages, addGenerationPrompt, null);
    }

    /** This request with a user's chat template file instead of the model's (null: the model's). */
    public GenerationRequest withChatTemplate(String templateFile) {
        return new GenerationRequest(id, prompt, promptTokenIds, params, messages, addGenerationPrompt, templateFile);
    }

    public boolean isChat() { return promptTokenIds == null && messages != null; }
}
