package io.hydragen.chat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.model.SharedModels;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The expectations of src/test/resources/chat/expectations.json, made by
 * src/test/resources/chat/make_expectations.py: Jinja2 set up and called as transformers' apply_chat_template does.
 */
final class ChatExpectations {
    private ChatExpectations() {}

    static final JsonNode ROOT = read();

    /** The clock the script's strftime_now reads (a naive local time; UTC here). */
    static final Clock CLOCK = Clock.fixed(
            LocalDateTime.parse(ROOT.get("clock").asText()).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    private static JsonNode read() {
        try (InputStream in = ChatExpectations.class.getResourceAsStream("/chat/expectations.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<ChatMessage> conversation(String name) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : ROOT.get("conversations").get(name)) {
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        return out;
    }

    /** ../shared/chat-templates (beside ../shared/models), or a skipped test when absent. */
    static Path sharedTemplates() {
        Path dir = SharedModels.modelsDir().getParent().resolve("chat-templates");
        assumeTrue(Files.isDirectory(dir), "shared chat templates " + dir + " not present");
        return dir;
    }
}
