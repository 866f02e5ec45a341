package io.hydragen.chat;

/**
 * A chat template that cannot be loaded or that refuses a conversation. The message is one line: the template's own
 * {@code raise_exception} text, or the Jinja error with its line number. When rendering a row, it is that row's error.
 */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(oneLine(message));
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    static String oneLine(String s) {
        return s == null ? "unknown chat template error" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
