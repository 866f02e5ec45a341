package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.chat.ChatMessage;
import io.hydragen.constrain.Constraint;
import java.util.List;

/**
 * One non-blank line of a prompts file.
 *
 * @param line 0-based line number in the file (blank lines count), for messages and as the default id
 * @param id the {@code id} as the user gave it (a string or a number), or the line number when absent
 * @param prompt the prompt text, or null when the line is unusable
 * @param error why the line is unusable, or null
 * @param fields the line's JSON object (its other fields are carried to the output), or null
 * @param userId whether the line has its own {@code id} (its seed then derives from it)
 * @param seed the line's own {@code "seed"}, used as is, or null
 * @param messages the line's {@code "messages"} (a conversation, instead of a prompt), or null
 * @param addGenerationPrompt the line's {@code "add_generation_prompt"}, or null when it has none
 * @param constraint the line's own {@code response_format} / {@code regex} / {@code choice}, or null
 */
record PromptRow(int line, JsonNode id, String prompt, String error, com.fasterxml.jackson.databind.node.ObjectNode fields,
                 boolean userId, Long seed, List<ChatMessage> messages, Boolean addGenerationPrompt, Constraint constraint) {
    PromptRow(int line, JsonNode id, String prompt, String error) { this(line, id, prompt, error, null, false, null, null, null, null); }

    PromptRow(int line, JsonNode id, String prompt, String error, com.fasterxml.jackson.databind.node.ObjectNode fields,
              boolean userId, Long seed) {
        this(line, id, prompt, error, fields, userId, seed, null, null, null);
    }

    PromptRow(int line, JsonNode id, String prompt, String error, com.fasterxml.jackson.databind.node.ObjectNode fields,
              boolean userId, Long seed, List<ChatMessage> messages, Boolean addGenerationPrompt) {
        this(line, id, prompt, error, fields, userId, seed, messages, addGenerationPrompt, null);
    }

    PromptRow withConstraint(Constraint c) {
        return new PromptRow(line, id, prompt, error, fields, userId, seed, messages, addGenerationPrompt, c);
    }

    boolean ok() { return error == null; }
}
