package io.hydragen.examples.notebooks;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a notebook cell into tokens of a small Python subset: names, numbers, string literals (single, double and
 * triple quoted, with the usual backslash escapes; no f-strings, so SQL stays a plain literal), operators, comments,
 * and logical line ends (a newline inside brackets or after a backslash joins lines, as in Python).
 */
final class PyTokenizer {
    private final String src;
    private int pos;
    private int line = 1;
    private int depth;

    private PyTokenizer(String src) { this.src = src; }

    static List<PyToken> tokenize(String src) { return new PyTokenizer(src).run(); }

    private List<PyToken> run() {
        List<PyToken> out = new ArrayList<>();
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '\n') {
                if (depth == 0 && !out.isEmpty() && out.get(out.size() - 1).kind() != PyToken.Kind.NEWLINE) {
                    out.add(new PyToken(PyToken.Kind.NEWLINE, "\n", line));
                }
                line++;
                pos++;
            } else if (c == '\\' && pos + 1 < src.length() && src.charAt(pos + 1) == '\n') {
                pos += 2;
                line++;
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\n') pos++;
            } else if (c == '"' || c == '\'') {
                out.add(string());
            } else if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                String name = src.substring(start, pos);
                if (pos < src.length() && (src.charAt(pos) == '"' || src.charAt(pos) == '\'')) {
                    throw error("string prefix " + name + "\"...\" is not supported: keep SQL and options in plain string literals");
                }
                out.add(new PyToken(PyToken.Kind.NAME, name, line));
            } else if (Character.isDigit(c)) {
                int start = pos;
                while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '.' || src.charAt(pos) == '_')) pos++;
                out.add(new PyToken(PyToken.Kind.NUMBER, src.substring(start, pos).replace("_", ""), line));
            } else if ("([{".indexOf(c) >= 0) {
                depth++;
                out.add(new PyToken(PyToken.Kind.OP, String.valueOf(c), line));
                pos++;
            } else if (")]}".indexOf(c) >= 0) {
                depth = Math.max(0, depth - 1);
                out.add(new PyToken(PyToken.Kind.OP, String.valueOf(c), line));
                pos++;
            } else if (",.=-+*/:;".indexOf(c) >= 0) {
                if (c == '=' && pos + 1 < src.length() && src.charAt(pos + 1) == '=') throw error("'==' is not supported");
                out.add(new PyToken(PyToken.Kind.OP, String.valueOf(c), line));
                pos++;
            } else {
                throw error("unexpected character '" + c + "'");
            }
        }
        if (!out.isEmpty() && out.get(out.size() - 1).kind() != PyToken.Kind.NEWLINE) out.add(new PyToken(PyToken.Kind.NEWLINE, "\n", line));
        out.add(new PyToken(PyToken.Kind.END, "", line));
        return out;
    }

    private PyToken string() {
        int startLine = line;
        char q = src.charAt(pos);
        boolean triple = src.startsWith(String.valueOf(q).repeat(3), pos);
        pos += triple ? 3 : 1;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) throw error("unterminated string starting on line " + startLine);
            char c = src.charAt(pos);
            if (triple ? src.startsWith(String.valueOf(q).repeat(3), pos) : c == q) {
                pos += triple ? 3 : 1;
                return new PyToken(PyToken.Kind.STRING, sb.toString(), startLine);
            }
            if (c == '\n') {
                if (!triple) throw error("newline in a single-quoted string");
                line++;
            }
            if (c == '\\') {
                char e = pos + 1 < src.length() ? src.charAt(pos + 1) : '\\';
                pos += 2;
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case '\\' -> sb.append('\\');
                    case '\'' -> sb.append('\'');
                    case '"' -> sb.append('"');
                    case '\n' -> line++;   // line continuation inside a string
                    default -> throw error("escape \\" + e + " is not supported");
                }
                continue;
            }
            sb.append(c);
            pos++;
        }
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("line " + line + ": " + message);
    }
}
