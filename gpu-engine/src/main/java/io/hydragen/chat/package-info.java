/**
 * Chat templates: a row's {@code messages} (a list of {@code {role, content}}) rendered to prompt text exactly as
 * Hugging Face transformers' {@code apply_chat_template} renders it, then tokenized without adding special tokens.
 *
 * <p>Use: {@code ChatTemplate t = ChatTemplates.load(modelDir, userTemplateFileOrNull)} once per model (thread-safe),
 * then per row {@code int[] ids = ChatPrompts.encode(tokenizer, t, messages, addGenerationPrompt)} (or
 * {@code t.render(...)} for the text); a {@link io.hydragen.chat.ChatTemplateException} is that row's error.
 *
 * <p>The Jinja engine is HubSpot's jinjava, with the gaps to Jinja2 that chat templates show filled in
 * {@link io.hydragen.chat.ChatTemplate} (list there). Known differences left: jinjava has one null for Jinja2's
 * {@code none} and undefined ({@code {{ none }}} prints nothing, Jinja2 prints {@code None}; {@code undefined is none}
 * is true); {@code 'x' * 3} is an error (numeric {@code *} only); a test right after a filter
 * ({@code x | length is even}) needs parentheses; step slices other than {@code [::-1]} do not parse;
 * {@code loop.previtem} and {@code loop.nextitem} are undefined.
 *
 * <p>Tests compare with strings that Jinja2 renders when set up as transformers does:
 * src/test/resources/chat/make_expectations.py writes src/test/resources/chat/expectations.json.
 */
package io.hydragen.chat;
