package io.hydragen.chat;

/**
 * Applies Jinja2's lexical whitespace rules to a template's source before jinjava sees it, so that the text jinjava
 * renders needs no whitespace handling of its own (jinjava then runs with trim_blocks and lstrip_blocks off).
 *
 * <p>Why: in Jinja2 whitespace control is purely lexical (transformers' environment: {@code trim_blocks=True,
 * lstrip_blocks=True}, {@code keep_trailing_newline=False}), while jinjava applies it to its node tree and differs at
 * the edges: a {@code {{-} after {@code {% endif %}} also strips the whitespace inside the if block, {@code {%+}
 * (keep the indent) is not supported, newlines are not normalized, the template's final newline is kept. This class
 * does what Jinja2's lexer does:
 * <ul>
 *   <li>line endings of the source become {@code \n}, and one trailing newline is dropped;</li>
 *   <li>{@code {%- {{- {#-} strip all whitespace before the tag, {@code -%} -}} -#}} all whitespace after it;</li>
 *   <li>trim_blocks: the first newline after a block tag or comment is removed (not after {@code +%}});</li>
 *   <li>lstrip_blocks: spaces and tabs from the start of a line to a block tag or comment are removed (not for
 *       {@code {%+});</li>
 *   <li>comments are dropped; {@code {% raw %}} content is kept as written.</li>
 * </ul>
 * Inside tags it also rewrites {@code [::-1]} (a step slice, which jinjava's parser rejects) to a call of the
 * reversing method {@link PyMethodResolver} provides, and keeps jinjava's scanner from taking a {@code }}} of nested
 * dicts or a delimiter inside a string literal for the end of the tag.
 */
final class Jinja2Lexer {
    private Jinja2Lexer() {}

    static final String REVERSED_METHOD = "hydragen_reversed";

    /** The text for jinjava (with the template's line numbering) and the filters it names (name to line). */
    record Result(String text, java.util.Map<String, Integer> filters) {}

    static Result preprocess(String template) {
        String src = normalizeNewlines(template);
        int[] lineStarts = lineStarts(src);
        StringBuilder out = new StringBuilder(src.length());
        java.util.Map<String, Integer> filters = new java.util.LinkedHashMap<>();
        int n = src.length();
        int pos = 0;
        boolean lineStarting = true;
        while (pos < n) {
            int start = nextTagStart(src, pos);
            int b = start < 0 ? n : start;
            if (start < 0) {
                out.append(src, pos, b);
                break;
            }
            int line = lineAt(lineStarts, start);
            char kind = src.charAt(start + 1);
            char marker = start + 2 < n ? src.charAt(start + 2) : 0;
            if (marker == '-') {
                while (b > pos && PyStrings.isSpace(src.charAt(b - 1))) b--;
            } else if (marker != '+' && (kind == '%' || kind == '#')) {
                int lpos = src.lastIndexOf('\n', b - 1) + 1;
                boolean hasNewline = lpos > pos;
                if (!hasNewline) lpos = pos;
                if ((hasNewline || lineStarting) && onlyBlanks(src, lpos, b)) b = lpos;
            }
            out.append(src, pos, b);
            // Newlines removed around a tag go inside it, where whitespace means nothing: jinjava's line numbers
            // (in its error messages) stay the template's own.
            String before = "\n".repeat(newlines(src, b, start));
            int bodyStart = start + 2 + (marker == '-' || marker == '+' ? 1 : 0);
            int end; // index of the closing "}}", "%}" or "#}"
            if (kind == '#') {
                end = src.indexOf("#}", bodyStart);
                if (end < 0) throw new ChatTemplateException("unclosed comment (line " + line + ")");
            } else {
                end = findTagEnd(src, bodyStart, kind == '{' ? '}' : '%', line);
            }
            char endMarker = end > bodyStart ? src.charAt(end - 1) : 0;
            int bodyEnd = endMarker == '-' || (endMarker == '+' && kind == '%') ? end - 1 : end;
            int after = end + 2;
            boolean raw = kind == '%' && src.substring(bodyStart, bodyEnd).strip().equals("raw");
            int rawFrom = 0, rawTo = 0, endRaw = 0, openAfter = after;
            if (raw) {
                // raw: content as written, the end tag's own whitespace control applies to it
                endRaw = findEndRaw(src, after);
                if (endRaw < 0) throw new ChatTemplateException("unclosed raw block (line " + line + ")");
                rawFrom = after;
                rawTo = endRaw;
                if (endMarker == '-') while (rawFrom < rawTo && PyStrings.isSpace(src.charAt(rawFrom))) rawFrom++;
                char endRawMarker = src.charAt(endRaw + 2);
                if (endRawMarker == '-') while (rawTo > rawFrom && PyStrings.isSpace(src.charAt(rawTo - 1))) rawTo--;
                int endRawBody = endRaw + 2 + (endRawMarker == '-' || endRawMarker == '+' ? 1 : 0);
                end = findTagEnd(src, endRawBody, '%', lineAt(lineStarts, endRaw));
                endMarker = src.charAt(end - 1);
                after = end + 2;
            }
            int next = after;
            if (endMarker == '-') {
                while (next < n && PyStrings.isSpace(src.charAt(next))) next++;
            } else if (kind != '{' && !(endMarker == '+' && kind == '%') && next < n && src.charAt(next) == '\n') {
                next++; // trim_blocks
            }
            String trailing = "\n".repeat(newlines(src, after, next));
            if (raw) {
                out.append("{% raw %}").append(src, rawFrom, rawTo).append("{% endraw ").append(before)
                        .append("\n".repeat(newlines(src, openAfter, rawFrom) + newlines(src, rawTo, endRaw)))
                        .append(trailing).append("%}");
            } else if (kind == '#') {
                out.append("{#").append(before).append("\n".repeat(newlines(src, bodyStart, end))).append(trailing).append("#}");
            } else {
                out.append(kind == '{' ? "{{" : "{%").append(before);
                rewriteBody(src, bodyStart, bodyEnd, out, filters, lineStarts);
                if (out.charAt(out.length() - 1) == '}') out.append(' '); // {{ {'a': 1}}}: not "}}}" for jinjava
                out.append(trailing).append(kind == '{' ? "}}" : "%}");
            }
            lineStarting = next > 0 && src.charAt(next - 1) == '\n';
            pos = next;
        }
        return new Result(out.toString(), filters);
    }

    private static int newlines(String s, int from, int to) {
        int k = 0;
        for (int i = from; i < to; i++) if (s.charAt(i) == '\n') k++;
        return k;
    }

    private static int[] lineStarts(String src) {
        java.util.List<Integer> starts = new java.util.ArrayList<>();
        starts.add(0);
        for (int i = 0; i < src.length(); i++) if (src.charAt(i) == '\n') starts.add(i + 1);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int lineAt(int[] lineStarts, int offset) {
        int i = java.util.Arrays.binarySearch(lineStarts, offset);
        return (i >= 0 ? i : -i - 2) + 1;
    }

    /** Jinja2 joins the source's lines with {@code \n} and drops one trailing newline (keep_trailing_newline=False). */
    static String normalizeNewlines(String s) {
        String t = s.replace("\r\n", "\n").replace('\r', '\n');
        return t.endsWith("\n") ? t.substring(0, t.length() - 1) : t;
    }

    private static int nextTagStart(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** The index of the closing two characters ({@code }}} or {@code %}}), skipping strings and bracketed parts. */
    private static int findTagEnd(String s, int from, char closer, int line) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i, line);
                continue;
            }
            if (depth == 0 && c == closer && i + 1 < s.length() && s.charAt(i + 1) == '}') return i;
            if (c == '(' || c == '[' || c == '{') depth++;
            else if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
        }
        throw new ChatTemplateException("unclosed tag (line " + line + ")");
    }

    private static int skipString(String s, int quoteAt, int line) {
        char q = s.charAt(quoteAt);
        for (int i = quoteAt + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') i++;
            else if (c == q) return i;
        }
        throw new ChatTemplateException("unclosed string (line " + line + ")");
    }

    private static int findEndRaw(String s, int from) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%}").matcher(s);
        return m.find(from) ? m.start() : -1;
    }

    /**
     * Copies a tag's body: {@code x[::-1]} outside string literals becomes {@code x.hydragen_reversed()}; the names of
     * filters ({@code | name}) are collected.
     */
    private static void rewriteBody(String src, int from, int to, StringBuilder out, java.util.Map<String, Integer> filters,
            int[] lineStarts) {
        for (int i = from; i < to; i++) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') {
                int e = Math.min(skipString(src, i, lineAt(lineStarts, i)), to - 1);
                appendString(src, i, e, out);
                i = e;
            } else if (c == '[' && src.startsWith("::-1]", i + 1 + blanks(src, i + 1)) && i + 1 + blanks(src, i + 1) + 5 <= to) {
                out.append('.').append(REVERSED_METHOD).append("()");
                i = i + blanks(src, i + 1) + 5;
            } else {
                if (c == '|') {
                    int j = i + 1;
                    while (j < to && Character.isWhitespace(src.charAt(j))) j++;
                    int k = j;
                    while (k < to && (Character.isLetterOrDigit(src.charAt(k)) || src.charAt(k) == '_')) k++;
                    if (k > j) filters.putIfAbsent(src.substring(j, k), lineAt(lineStarts, i));
                }
                out.append(c);
                // jinjava's scanner ends an expression at the first "}}", even that of nested dicts
                if (c == '}' && i + 1 < to && src.charAt(i + 1) == '}') out.append(' ');
            }
        }
    }

    /**
     * Copies a string literal (quotes at {@code from} and {@code to}); one holding a tag delimiter ({@code }}},
     * {@code %}}, {@code {{}, ...), which jinjava's scanner would take for the tag's end or start, is written as a
     * concatenation of pieces that split each delimiter: {@code '}}'} becomes {@code ('}' ~ '}')}.
     */
    private static void appendString(String src, int from, int to, StringBuilder out) {
        char q = src.charAt(from);
        java.util.List<Integer> cuts = new java.util.ArrayList<>();
        for (int k = from + 2; k < to; k++) {
            char a = src.charAt(k - 1), b = src.charAt(k);
            if (((b == '}' && (a == '}' || a == '%' || a == '#')) || (a == '{' && (b == '{' || b == '%' || b == '#')))) {
                cuts.add(k);
            }
        }
        if (cuts.isEmpty()) {
            out.append(src, from, to + 1);
            return;
        }
        out.append('(');
        int start = from + 1;
        for (int cut : cuts) {
            out.append(q).append(src, start, cut).append(q).append(" ~ ");
            start = cut;
        }
        out.append(q).append(src, start, to).append(q).append(')');
    }

    private static int blanks(String s, int from) {
        int i = from;
        while (i < s.length() && s.charAt(i) == ' ') i++;
        return i - from;
    }

    private static boolean onlyBlanks(String s, int from, int to) {
        for (int i = from; i < to; i++) if (s.charAt(i) != ' ' && s.charAt(i) != '\t') return false;
        return true;
    }



}
