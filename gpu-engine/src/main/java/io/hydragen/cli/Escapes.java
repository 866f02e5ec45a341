package io.hydragen.cli;

/**
 * Backslash escapes in command-line strings ({@code --stop "\n\n"}), since shells pass {@code \n} through as two
 * characters: {@code \n}, {@code \t}, {@code \r}, {@code \\}, {@code \"}, {@code \'} and {@code \}{@code uXXXX}
 * (a UTF-16 code unit, as in Java and JSON). Any other backslash sequence is refused, so a typo is not silently
 * taken literally.
 */
final class Escapes {
    private Escapes() {}

    /** The string with its escapes replaced; a {@link UsageException} naming the option for a bad one. */
    static String unescape(String option, String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') { out.append(c); continue; }
            if (i + 1 == s.length()) throw bad(option, s, "a lone \\ at the end (write \\\\ for a backslash)");
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case '\\' -> out.append('\\');
                case '"' -> out.append('"');
                case '\'' -> out.append('\'');
                case 'u' -> {
                    if (i + 5 > s.length()) throw bad(option, s, "\\u needs four hex digits");
                    String hex = s.substring(i + 1, i + 5);
                    if (!hex.matches("[0-9a-fA-F]{4}")) throw bad(option, s, "\\u needs four hex digits, got \\u" + hex);
                    out.append((char) Integer.parseInt(hex, 16));
                    i += 4;
                }
                default -> throw bad(option, s, "unknown escape \\" + e + " (known: \\n \\t \\r \\\\ \\\" \\' \\uXXXX)");
            }
        }
        return out.toString();
    }

    private static UsageException bad(String option, String value, String why) {
        return new UsageException(option + " " + value + ": " + why);
    }
}
