package io.hydragen.examples.readme;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shell commands of a README: every fenced {@code ```bash} (or {@code sh}, {@code shell}) block, one command per
 * logical line (lines ending in {@code \} joined), comment-only lines dropped. A command is not run in CI when the
 * comment line just before it, or its own trailing comment, says {@value #SKIP_MARKER} followed by the reason
 * ({@code # not run in CI: needs a GPU}); the reason is required, so every skip says why.
 */
public final class ReadmeCommands {
    private ReadmeCommands() {}

    public static final String SKIP_MARKER = "not run in CI:";

    /**
     * One command of a README.
     *
     * @param line       the 1-based line of the README where it starts
     * @param text       the command as a shell would read it (continuation lines joined)
     * @param skipReason why CI does not run it, or null when it runs
     */
    public record Command(String file, int line, String text, String skipReason) {
        public boolean runs() { return skipReason == null; }

        @Override
        public String toString() { return file + ":" + line + ": " + text; }
    }

    public static List<Command> parse(String file, String markdown) {
        List<Command> out = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        boolean inBlock = false;
        String pendingSkip = null;
        StringBuilder command = null;
        int start = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].stripTrailing();
            if (line.startsWith("```")) {
                if (inBlock) {
                    if (command != null) throw new IllegalArgumentException(file + ":" + (start + 1) + ": a command ends in '\\' at the end of its block");
                    inBlock = false;
                } else {
                    inBlock = isShell(line.substring(3).trim());
                }
                pendingSkip = null;
                continue;
            }
            if (!inBlock) continue;
            if (command == null) {
                String t = line.strip();
                if (t.isEmpty()) continue;
                if (t.startsWith("#")) {
                    String reason = skipReason(t);
                    if (reason != null) pendingSkip = reason;
                    continue;
                }
                command = new StringBuilder();
                start = i;
            }
            boolean continues = line.endsWith("\\");
            command.append(continues ? line.substring(0, line.length() - 1) : line).append(continues ? " " : "");
            if (!continues) {
                String text = command.toString().strip();
                String own = skipReason(trailingComment(text));
                out.add(new Command(file, start + 1, text, own != null ? own : pendingSkip));
                pendingSkip = null;
                command = null;
            }
        }
        if (inBlock) throw new IllegalArgumentException(file + ": a ``` block is not closed");
        return out;
    }

    private static boolean isShell(String info) {
        String lang = info.split("\\s+")[0].toLowerCase(Locale.ROOT);
        return lang.equals("bash") || lang.equals("sh") || lang.equals("shell") || lang.equals("console");
    }

    /** The reason after the marker in a comment, or null when the comment has no marker. */
    static String skipReason(String comment) {
        if (comment == null) return null;
        int at = comment.indexOf(SKIP_MARKER);
        if (at < 0) return null;
        String reason = comment.substring(at + SKIP_MARKER.length()).strip();
        if (reason.isEmpty()) throw new IllegalArgumentException("'" + SKIP_MARKER + "' without a reason: " + comment);
        return reason;
    }

    /**
     * The comment at the end of a command: from the first {@code #} that is outside quotes and starts a word (as the
     * shell reads it), or null.
     */
    static String trailingComment(String command) {
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else if (c == '\\' && quote == '"') i++;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '\\') {
                i++;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(command.charAt(i - 1)))) {
                return command.substring(i);
            }
        }
        return null;
    }
}
