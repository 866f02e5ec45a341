package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One non-blank line of a prompts file.
 *
 * @param line 0-based line number in the file (blank lines count), for messages and as the default id
 * @param id the {@code id} as the user gave it (a string or a number), or the line number when absent
 * @param prompt the prompt text, or null when the line is unusable
 * @param error why the line is unusable, or null
 */
record PromptRow(int line, JsonNode id, String prompt, String error) {
    boolean ok() { return error == null; }
}
