package io.hydragen.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.model.SharedModels;
import io.hydragen.tokenizer.HfTokenizer;
import io.hydragen.tokenizer.TokenizerLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rendered prompt carries the template's BOS once: tokenized without special tokens, as transformers'
 * apply_chat_template does. Uses ../shared/models/tiny-llama-sp (a tokenizer that adds BOS {@code <s>}) with the
 * Mistral template of ../shared/chat-templates given as the user's template file; skipped when either is absent.
 */
class ChatPromptsTest {
    @Test
    void renderedPromptHasOneBos() {
        Path model = SharedModels.require("tiny-llama-sp");
        Path template = ChatExpectations.sharedTemplates().resolve("mistral_v0_3.jinja");
        ChatTemplate t = ChatTemplates.load(model, template); // special tokens from the model's tokenizer_config.json
        assertEquals("<s>", t.specialTokens().get("bos_token"));
        List<ChatMessage> messages = List.of(new ChatMessage("user", "Hello there"), new ChatMessage("assistant", "Hi"),
                new ChatMessage("user", "How are you?"));
        String text = t.render(messages, true);
        assertEquals("<s>[INST] Hello there[/INST] Hi</s>[INST] How are you?[/INST]", text);
        try (HfTokenizer tok = TokenizerLoader.load(model)) {
            int bos = tok.bosTokenId();
            assertTrue(bos >= 0);
            int[] ids = ChatPrompts.encode(tok, t, messages, true);
            assertEquals(bos, ids[0]);
            assertEquals(1, Arrays.stream(ids).filter(id -> id == bos).count(), Arrays.toString(ids));
            assertEquals(Arrays.toString(tok.encode(text, false)), Arrays.toString(ids));
            // what adding special tokens again would do: a second BOS in front
            int[] doubled = tok.encode(text, true);
            assertEquals(bos, doubled[0]);
            assertEquals(bos, doubled[1]);
        }
    }
}
