package io.hydragen.chat;

import io.hydragen.tokenizer.Tokenizer;
import java.util.List;

/** A conversation to prompt ids, as transformers' {@code apply_chat_template(messages, tokenize=True)} does. */
public final class ChatPrompts {
    private ChatPrompts() {}

    /**
     * Renders and tokenizes without adding special tokens: the template already wrote BOS (and whatever else the
     * model needs), and the tokenizer's post-processor would add a second one.
     *
     * @throws ChatTemplateException when the template rejects the conversation (that row's error)
     */
    public static int[] encode(Tokenizer tokenizer, ChatTemplate template, List<ChatMessage> messages,
            boolean addGenerationPrompt) {
        return tokenizer.encode(template.render(messages, addGenerationPrompt), false);
    }
}
