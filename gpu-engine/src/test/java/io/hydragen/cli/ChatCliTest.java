package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.chat.ChatMessage;
import io.hydragen.chat.ChatTemplate;
import io.hydragen.chat.ChatTemplates;
import io.hydragen.model.ChatModels;
import io.hydragen.tokenizer.HfTokenizer;
import io.hydragen.tokenizer.TokenizerLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hydragen generate} with {@code "messages"} lines, end to end (../shared/models/tiny-llama-sp + SmolLM2's template). */
class ChatCliTest {
    @TempDir
    static Path tmp;

    static final String SYS = "{\"role\": \"system\", \"content\": \"You label the sentiment of a review as positive or negative.\"},"
            + "{\"role\": \"user\", \"content\": \"The film was wonderful.\"}, {\"role\": \"assistant\", \"content\": \"positive\"},";

    @Test
    void messagesLinesAreRenderedAndAnsweredAndBadOnesAreThatLinesError() throws Exception {
        Path model = ChatModels.withTemplate(tmp, "tiny-llama-sp", "smollm2");
        Path in = Files.writeString(tmp.resolve("in.jsonl"), String.join("\n",
                "{\"id\": \"a\", \"messages\": [" + SYS + "{\"role\": \"user\", \"content\": \"I loved it.\"}]}",
                "{\"id\": \"b\", \"messages\": [" + SYS + "{\"role\": \"user\", \"content\": \"Never again.\"}]}",
                "{\"id\": \"c\", \"messages\": [" + SYS + "{\"role\": \"user\", \"content\": \"Meh.\"}], \"add_generation_prompt\": false}",
                "{\"id\": \"text\", \"prompt\": \"Hello\"}",
                "{\"id\": \"notarray\", \"messages\": \"hi\"}",
                "{\"id\": \"nocontent\", \"messages\": [{\"role\": \"user\"}]}",
                "{\"id\": \"number\", \"messages\": [{\"role\": \"user\", \"content\": 3}]}",
                "{\"id\": \"both\", \"prompt\": \"x\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                "{\"id\": \"agp\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"add_generation_prompt\": \"yes\"}",
                "{\"id\": \"empty\", \"messages\": []}") + "\n");
        Path out = tmp.resolve("out.jsonl");
        CliRun run = CliRun.run("generate", "--model", model.toString(), "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--max-new-tokens", "4", "--min-shared-tokens", "4", "-q");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(10, rows.size());
        ChatTemplate t = ChatTemplates.load(model, null);
        try (HfTokenizer tok = TokenizerLoader.load(model)) {
            for (int i = 0; i < 3; i++) {
                JsonNode r = rows.get(i);
                assertEquals("length", r.get("finish_reason").asText(), r.toString());
                String prompt = r.get("prompt").asText();
                assertTrue(prompt.startsWith("<|im_start|>system\nYou label"), prompt);
                assertEquals(i < 2, prompt.endsWith("<|im_start|>assistant\n"), prompt);
                assertEquals(Arrays.toString(tok.encode(prompt, false)), Arrays.toString(CliRun.ints(r.get("prompt_token_ids"))));
                assertTrue(r.get("shared_prompt_tokens").asInt() > 0, r.toString());
            }
            List<ChatMessage> a = List.of(new ChatMessage("system", "You label the sentiment of a review as positive or negative."),
                    new ChatMessage("user", "The film was wonderful."), new ChatMessage("assistant", "positive"),
                    new ChatMessage("user", "I loved it."));
            assertEquals(t.render(a, true), rows.get(0).get("prompt").asText());
        }
        assertEquals("length", rows.get(3).get("finish_reason").asText());
        // a prompt line's own fields are carried through: its prompt is the text as given, not a rendering
        assertEquals("Hello", rows.get(3).get("prompt").asText());
        String[][] errors = {{"notarray", "line 5: \"messages\" must be an array"}, {"nocontent", "line 6: messages[0] has no \"content\""},
                {"number", "line 7: messages[0]: \"content\" must be a string, got a number"}, {"both", "not both"},
                {"agp", "\"add_generation_prompt\" must be true or false"}, {"empty", "\"messages\" is empty"}};
        for (int i = 0; i < errors.length; i++) {
            JsonNode r = rows.get(4 + i);
            assertEquals(errors[i][0], r.get("id").asText());
            assertEquals("error", r.get("finish_reason").asText());
            assertTrue(r.get("error").asText().contains(errors[i][1]), r.toString());
        }
    }

    @Test
    void aUserTemplateAndNoGenerationPromptAndTemplateErrors() throws Exception {
        Path model = ChatModels.withTemplate(tmp, "tiny-llama-sp", "smollm2");
        Path gemma = ChatModels.templatesDir().resolve("gemma2.jinja");
        Path in = Files.writeString(tmp.resolve("in2.jsonl"), String.join("\n",
                "{\"id\": 1, \"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"x\"}]}",
                "{\"id\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}",
                "{\"id\": 3, \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}], \"add_generation_prompt\": true}") + "\n");
        Path out = tmp.resolve("out2.jsonl");
        CliRun run = CliRun.run("generate", "--model", model.toString(), "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--max-new-tokens", "2", "--chat-template", gemma.toString(), "--no-generation-prompt", "-q");
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals("System role not supported", rows.get(0).get("error").asText());
        assertEquals("<s><start_of_turn>user\nHello<end_of_turn>\n", rows.get(1).get("prompt").asText());
        assertEquals("<s><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n", rows.get(2).get("prompt").asText());
        assertEquals("length", rows.get(2).get("finish_reason").asText());

        CliRun none = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--max-new-tokens", "2", "-q");
        assertEquals(0, none.exitCode(), none.err());
        assertEquals("this model has no chat template; pass --chat-template FILE (option chat_template)",
                CliRun.jsonLines(out).get(1).get("error").asText());
        CliRun missing = CliRun.run("generate", "--model", "synthetic:tiny", "--input", in.toString(), "--output", out.toString(),
                "--chat-template", tmp.resolve("nope.jinja").toString());
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("--chat-template"), missing.err());
    }
}
