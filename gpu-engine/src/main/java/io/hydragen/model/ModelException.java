package io.hydragen.model;

/**
 * A model that cannot be used: a missing file, an unsupported architecture, a corrupt or lying
 * safetensors header, a missing or mis-shaped tensor. The message names the file and the problem in
 * one line, so the CLI and Spark can show it as is: line breaks and other control characters that come from the
 * files themselves (a dtype or tensor name holding a newline) are written as escapes.
 */
public class ModelException extends RuntimeException {
    public ModelException(String message) { super(oneLine(message)); }

    public ModelException(String message, Throwable cause) { super(oneLine(message), cause); }

    static String oneLine(String s) {
        if (s == null) return null;
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || c == 0x7f || c == '\u0085' || c == '\u2028' || c == '\u2029';
            if (control && b == null) b = new StringBuilder(s.length() + 8).append(s, 0, i);
            if (b == null) continue;
            if (!control) b.append(c);
            else if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '\t') b.append("\\t");
            else b.append(String.format("\\u%04x", (int) c));
        }
        return b == null ? s : b.toString();
    }
}
