package io.hydragen.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the template is found, special tokens as variables, errors, thread safety. Self-contained. */
class ChatTemplatesTest {
    private static final String SIMPLE = "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}"
            + "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
    private static final List<ChatMessage> HI = List.of(new ChatMessage("user", "hi"));

    @TempDir
    Path dir;

    private void write(String name, String text) throws Exception {
        Files.writeString(dir.resolve(name), text);
    }

    private static String json(String s) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
    }

    @Test
    void templateStringInTokenizerConfigWithAddedTokenObjects() throws Exception {
        write("tokenizer_config.json", "{\"bos_token\": {\"__type\": \"AddedToken\", \"content\": \"<s>\", \"lstrip\": false},"
                + " \"eos_token\": \"</s>\", \"unk_token\": null, \"chat_template\": " + json(SIMPLE) + "}");
        ChatTemplate t = ChatTemplates.load(dir, null);
        assertEquals("<s><user>hi</s><assistant>", t.render(HI, true));
        assertEquals("<s><user>hi</s>", t.render(HI, false));
        assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), t.specialTokens());
    }

    @Test
    void addGenerationPromptDefaultsToTrue() throws Exception {
        write("tokenizer_config.json", "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"chat_template\": " + json(SIMPLE) + "}");
        ChatTemplate t = ChatTemplates.load(dir, null);
        assertEquals(t.render(HI, true), t.render(HI));
    }

    @Test
    void unreadableConfigIsAChatTemplateError() throws Exception {
        write("tokenizer_config.json", "{not json");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplates.load(dir, null));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("not valid JSON"), e.getMessage());
        assertThrows(ChatTemplateException.class, () -> ChatTemplates.load(dir, dir.resolve("missing.jinja")));
    }

    @Test
    void listOfNamedTemplatesTakesDefault() throws Exception {
        write("tokenizer_config.json", "{\"eos_token\": \"E\", \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"TOOLS\"},"
                + " {\"name\": \"default\", \"template\": \"{{ messages[0].content }}{{ eos_token }}\"}]}");
        assertEquals("hiE", ChatTemplates.load(dir, null).render(HI, true));
    }

    @Test
    void listWithoutDefaultIsAnError() throws Exception {
        write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}]}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplates.load(dir, null));
        assertTrue(e.getMessage().contains("none named 'default'"), e.getMessage());
    }

    @Test
    void chatTemplateJinjaFileOverridesConfigAndUserFileOverridesBoth() throws Exception {
        write("tokenizer_config.json", "{\"bos_token\": \"B\", \"chat_template\": \"config\"}");
        write("chat_template.jinja", "jinja {{ bos_token }}\n");
        assertEquals("jinja B", ChatTemplates.load(dir, null).render(HI, true));
        Path user = dir.resolve("mine.jinja");
        Files.writeString(user, "user {{ bos_token }}{{ messages | length }}");
        assertEquals("user B1", ChatTemplates.load(dir, user).render(HI, true));
    }

    @Test
    void specialTokensMapOverridesTokenizerConfig() throws Exception {
        write("tokenizer_config.json", "{\"bos_token\": \"B\", \"pad_token\": \"P\", \"chat_template\": \"{{ bos_token }}{{ pad_token }}\"}");
        write("special_tokens_map.json", "{\"pad_token\": {\"content\": \"<pad>\"}, \"additional_special_tokens\": [\"<x>\"]}");
        assertEquals("B<pad>", ChatTemplates.load(dir, null).render(HI, true));
    }

    @Test
    void noTemplate() throws Exception {
        write("tokenizer_config.json", "{\"bos_token\": \"B\"}");
        assertFalse(ChatTemplates.find(dir, null, Clock.systemUTC()).isPresent());
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplates.load(dir, null));
        assertTrue(e.getMessage().contains("no chat template") && e.getMessage().contains("--chat-template"), e.getMessage());
        // an override file is enough, even without tokenizer_config.json
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path user = dir.resolve("t.jinja");
        Files.writeString(user, "{{ messages[0].content }}");
        assertEquals("hi", ChatTemplates.load(empty, user).render(HI, false));
    }

    @Test
    void raiseExceptionIsTheMessageAndOtherRendersStillWork() {
        ChatTemplate t = ChatTemplate.compile("{% if messages[0].role != 'user' %}{{ raise_exception('First must be user, got '"
                + " + messages[0].role) }}{% endif %}ok", Map.of());
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(new ChatMessage("assistant", "x")), true));
        assertEquals("First must be user, got assistant", e.getMessage());
        assertEquals("ok", t.render(HI, true));
    }

    @Test
    void syntaxErrorNamesTheTemplatesOwnLine() {
        // whitespace control removes lines before jinjava parses: the line reported is still the template's
        ChatTemplate t = ChatTemplate.compile("line one\n{%- if true -%}\n\n  {#- c -#}\n\n{{ messages[0].content + }}\n{% endif %}",
                Map.of(), Clock.systemUTC(), "t.jinja");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(HI, true));
        assertTrue(e.getMessage().startsWith("t.jinja: ") && e.getMessage().endsWith("(line 6)"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        ChatTemplateException unclosed = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.compile("a\nb {{ 'x' \n", Map.of(), Clock.systemUTC(), "u.jinja"));
        assertTrue(unclosed.getMessage().startsWith("u.jinja: ") && unclosed.getMessage().contains("line 2"), unclosed.getMessage());
    }

    @Test
    void unknownFilterFailsInsteadOfRenderingNothing() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.compile(
                "\n{{ messages[0].content | trim | nosuchfilter('|not a filter') }}", Map.of(), Clock.systemUTC(), "t"));
        assertEquals("t: No filter named 'nosuchfilter' (line 2)", e.getMessage());
    }

    @Test
    void unknownFunctionFails() {
        ChatTemplate t = ChatTemplate.compile("{{ no_such_function('x') }}", Map.of());
        assertThrows(ChatTemplateException.class, () -> t.render(HI, true));
    }

    @Test
    void messageTextIsNeverRenderedAsTemplate() {
        ChatTemplate t = ChatTemplate.compile("{{ messages[0].content }}", Map.of("bos_token", "<s>"));
        List<ChatMessage> m = List.of(new ChatMessage("user", "{{ bos_token }}{% if true %}x{% endif %}{# c #}"));
        assertEquals("{{ bos_token }}{% if true %}x{% endif %}{# c #}", t.render(m, true));
    }

    @Test
    void rendersConcurrentlyFromOneCompiledTemplate() throws Exception {
        ChatTemplate t = ChatTemplate.compile("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
                + "{{ m.content.upper() }}{% endfor %}{{ ns.n }}{% if messages | length > 2 %}{{ raise_exception('too many') }}{% endif %}",
                Map.of());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                int k = i % 4;
                futures.add(pool.submit(() -> {
                    List<ChatMessage> msgs = new ArrayList<>();
                    for (int j = 0; j < k; j++) msgs.add(new ChatMessage("user", "m" + k + j));
                    try {
                        return t.render(msgs, true);
                    } catch (ChatTemplateException e) {
                        return "error " + e.getMessage();
                    }
                }));
            }
            for (int i = 0; i < futures.size(); i++) {
                int k = i % 4;
                String expected = switch (k) {
                    case 0 -> "0";
                    case 1 -> "M10" + "1";
                    case 2 -> "M20M21" + "2";
                    default -> "error too many";
                };
                assertEquals(expected, futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
