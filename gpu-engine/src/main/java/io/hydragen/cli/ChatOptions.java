package io.hydragen.cli;

import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** How a line's {@code "messages"} are rendered, for every command that reads prompt lines ({@code generate}, {@code score}). */
final class ChatOptions {
    @Option(names = "--chat-template", paramLabel = "FILE",
            description = "Chat template (Jinja) for lines with \"messages\", instead of the model's own.")
    Path chatTemplate;

    @Option(names = "--no-generation-prompt",
            description = "Render \"messages\" without the assistant's turn header (a line's \"add_generation_prompt\" wins).")
    boolean noGenerationPrompt;

    void check() {
        if (chatTemplate != null && !Files.isRegularFile(chatTemplate)) throw new UsageException("--chat-template " + chatTemplate + ": no such file");
    }

    /** A line's own {@code add_generation_prompt} if it has one, else the flag's. */
    boolean addGenerationPrompt(Boolean lineValue) { return lineValue != null ? lineValue : !noGenerationPrompt; }

    /** The user's template file, or null for the model's own. */
    String templatePath() { return chatTemplate == null ? null : chatTemplate.toString(); }
}
