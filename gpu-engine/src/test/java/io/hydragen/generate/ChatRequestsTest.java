package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.chat.ChatMessage;
import io.hydragen.model.ChatModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests with messages: rendered by the model's chat template (ChatML of SmolLM2 written into a copy of
 * ../shared/models/tiny-llama-sp, whose tokenizer adds BOS), tokenized without special tokens, answered as the same
 * ids sent directly would be; shared system prompts share KV; a template error is that row's error only.
 */
class ChatRequestsTest {
    @TempDir
    static Path tmp;

    static final SamplingParams P = SamplingParams.GREEDY.withMaxNewTokens(6);
    static final List<ChatMessage> FEW_SHOT = List.of(
            new ChatMessage("system", "You label the sentiment of a review as positive or negative."),
            new ChatMessage("user", "The film was wonderful."), new ChatMessage("assistant", "positive"),
            new ChatMessage("user", "A dull, tedious evening."), new ChatMessage("assistant", "negative"));

    static List<ChatMessage> ask(String review) {
        List<ChatMessage> m = new java.util.ArrayList<>(FEW_SHOT);
        m.add(new ChatMessage("user", review));
        return m;
    }

    static Engine open(Path model) {
        return Engine.open(EngineOptions.of(model.toString()).withBackend("cpu").withThreads(2).withMinSharedTokens(4));
    }

    @Test
    void messagesAreRenderedTokenizedWithoutSpecialTokensAndShared() throws Exception {
        Path model = ChatModels.withTemplate(tmp, "tiny-llama-sp", "smollm2");
        try (Engine engine = open(model)) {
            List<ChatMessage> a = ask("I loved every minute."), b = ask("Never again.");
            String rendered = engine.chatTemplate(null).render(a, true);
            assertTrue(rendered.startsWith("<|im_start|>system\nYou label"), rendered);
            assertTrue(rendered.endsWith("<|im_start|>assistant\n"), rendered);
            int[] ids = engine.tokenizer().encode(rendered, false);
            GenerationResult chat = engine.generate(List.of(GenerationRequest.ofMessages("a", a, true, P),
                    GenerationRequest.ofMessages("b", b, true, P)));
            GenerationResult direct = engine.generate(List.of(GenerationRequest.ofTokens("a", ids, P)));
            Completion ca = chat.completions().get(0), cb = chat.completions().get(1), d = direct.completions().get(0);
            assertNull(ca.error());
            assertArrayEquals(ids, ca.promptTokenIds());
            assertArrayEquals(d.tokenIds(), ca.tokenIds());
            assertEquals(d.text(), ca.text());
            assertEquals(rendered, ca.promptText());
            assertNull(d.promptText());
            // no BOS added on top of what the template wrote (this template writes none)
            assertTrue(ids[0] != engine.tokenizer().encode("x", true)[0] || ids[0] != engine.tokenizer().encode("x", false)[0]);
            assertTrue(ca.sharedPromptTokens() > 0 && cb.sharedPromptTokens() > 0, ca + " " + cb);
            assertEquals(ca.sharedPromptTokens(), cb.sharedPromptTokens());
            // add_generation_prompt = false: no assistant header
            Completion noGen = engine.generate(List.of(GenerationRequest.ofMessages("c", a, false, P))).completions().get(0);
            assertEquals(engine.chatTemplate(null).render(a, false), noGen.promptText());
            assertTrue(!noGen.promptText().endsWith("<|im_start|>assistant\n"));
        }
    }

    @Test
    void aTemplateErrorIsThatRowsErrorAndAUserTemplateReplacesTheModels() throws Exception {
        Path model = ChatModels.withTemplate(tmp, "tiny-llama-sp", "smollm2");
        String gemma = ChatModels.templatesDir().resolve("gemma2.jinja").toString();
        try (Engine engine = open(model)) {
            List<GenerationRequest> reqs = List.of(
                    GenerationRequest.ofMessages("sys", ask("Fine."), true, P).withChatTemplate(gemma), // gemma2: no system role
                    GenerationRequest.ofMessages("order", List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")), true, P)
                            .withChatTemplate(gemma),
                    GenerationRequest.ofMessages("ok", List.of(new ChatMessage("user", "Hello")), true, P).withChatTemplate(gemma),
                    GenerationRequest.ofText("text", "Hello", P),
                    GenerationRequest.ofMessages("model", ask("Fine."), true, P));
            List<Completion> c = engine.generate(reqs).completions();
            assertEquals(FinishReason.ERROR, c.get(0).finishReason());
            assertEquals("System role not supported", c.get(0).error());
            assertEquals(FinishReason.ERROR, c.get(1).finishReason());
            assertTrue(c.get(1).error().contains("roles must alternate"), c.get(1).error());
            assertNull(c.get(2).error());
            assertEquals("<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n".replace("<bos>", "<s>"), c.get(2).promptText());
            assertNull(c.get(3).error());
            assertEquals("Hello", c.get(3).promptText());
            assertNull(c.get(4).error());
            assertEquals(6, c.get(4).completionTokens());
        }
    }

    @Test
    void aModelWithoutATemplateAnswersTextRowsAndRefusesMessageRows() throws Exception {
        try (Engine engine = Engine.open(EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2))) {
            List<Completion> c = engine.generate(List.of(GenerationRequest.ofMessages("m", List.of(new ChatMessage("user", "hi")), true, P),
                    GenerationRequest.ofText("t", "hi", P))).completions();
            assertEquals("this model has no chat template; pass --chat-template FILE (option chat_template)", c.get(0).error());
            assertNull(c.get(1).error());
            Path t = Files.writeString(tmp.resolve("t.jinja"),
                    "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}");
            Completion ok = engine.generate(List.of(GenerationRequest.ofMessages("m", List.of(new ChatMessage("user", "hi")), true, P)
                    .withChatTemplate(t.toString()))).completions().get(0);
            assertNull(ok.error());
            assertEquals("<user>hi\n<assistant>", ok.promptText());
            assertArrayEquals(engine.tokenizer().encode("<user>hi\n<assistant>", false), ok.promptTokenIds());
        }
    }
}
