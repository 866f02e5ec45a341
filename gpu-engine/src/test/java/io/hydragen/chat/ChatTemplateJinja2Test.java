package io.hydragen.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders conversations with the chat templates of real model families and compares with what Jinja2 renders when set
 * up and called as Hugging Face transformers' {@code apply_chat_template} does: the expected strings (or the
 * template's {@code raise_exception} message) are in src/test/resources/chat/expectations.json, written by
 * src/test/resources/chat/make_expectations.py with Jinja2 3.1.6. Exact string equality.
 *
 * <p>The family templates are read from ../shared/chat-templates (skipped when absent), put into a model directory's
 * {@code tokenizer_config.json} with their special tokens and loaded with {@link ChatTemplates}, as a checkpoint would.
 * The feature templates (in the expectations file) exercise each Jinja2 behaviour that jinjava lacks.
 */
class ChatTemplateJinja2Test {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> familyTemplatesRenderAsTransformers() throws IOException {
        Path shared = ChatExpectations.sharedTemplates();
        List<DynamicTest> tests = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = ChatExpectations.ROOT.get("templates").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String family = e.getKey();
            String source = Files.readString(shared.resolve(family + ".jinja"), StandardCharsets.UTF_8);
            Path modelDir = Files.createDirectories(tmp.resolve(family));
            ObjectNode config = JSON.createObjectNode();
            config.put("chat_template", source);
            config.setAll((ObjectNode) e.getValue().get("special_tokens"));
            if (family.equals("qwen2_5")) config.putNull("bos_token"); // as in the real config: null, so undefined
            Files.writeString(modelDir.resolve("tokenizer_config.json"), JSON.writeValueAsString(config));
            ChatTemplate template = ChatTemplates.find(modelDir, null, ChatExpectations.CLOCK).orElseThrow();
            addCases(tests, family, template, e.getValue().get("cases"));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> jinja2FeaturesRenderAsTransformers() {
        List<DynamicTest> tests = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = ChatExpectations.ROOT.get("features").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Map<String, Object> tokens = new LinkedHashMap<>();
            e.getValue().get("special_tokens").fields().forEachRemaining(t -> tokens.put(t.getKey(), t.getValue().asText()));
            ChatTemplate template = ChatTemplate.compile(e.getValue().get("template").asText(), tokens,
                    ChatExpectations.CLOCK, e.getKey());
            addCases(tests, e.getKey(), template, e.getValue().get("cases"));
        }
        return tests.stream();
    }

    private static void addCases(List<DynamicTest> tests, String name, ChatTemplate template, JsonNode cases) {
        for (JsonNode c : cases) {
            String conv = c.get("conversation").asText();
            boolean agp = c.get("add_generation_prompt").asBoolean();
            List<ChatMessage> messages = ChatExpectations.conversation(conv);
            tests.add(DynamicTest.dynamicTest(name + " " + conv + " add_generation_prompt=" + agp, () -> {
                if (c.has("error")) {
                    ChatTemplateException ex = assertThrows(ChatTemplateException.class,
                            () -> template.render(messages, agp));
                    assertEquals(c.get("error").asText(), ex.getMessage());
                } else {
                    assertEquals(c.get("expected").asText(), template.render(messages, agp));
                }
            }));
        }
    }
}
