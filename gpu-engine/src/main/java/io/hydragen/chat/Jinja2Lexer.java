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
 * A loop filter {@code {% for x in items if cond %}}, which jinjava ignores, becomes
 * {@code {% for x in hydragen_loop_filter(items, "x", "cond") %}}, so that {@code loop.index}, {@code loop.last} and
 * {@code loop.length} count the kept items as in Jinja2. Inside tags it also rewrites {@code [::-1]} (a step slice, which jinjava's parser rejects) to a call of the
 * reversing method {@link PyMethodResolver} provides, puts the value of a keyword argument in parentheses
 * (jinjava reads {@code namespace(i=n - 1)} as {@code (i=n) - 1}), and keeps jinjava's scanner from taking a
 * {@code }}} of nested dicts or a delimiter inside a string literal for the end of the tag.
 */
final class Jinja2Lexer {
    private Jinja2Lexer() {}

    static final String REVERSED_METHOD = "hydragen_reversed";
    static final String LOOP_FILTER_FUNCTION = "hydragen_loop_filter";

    /**
     * For a tag {@code for VARS in ITEMS if COND}: {start of body, start of ITEMS, end of ITEMS, start of COND};
     * null for any other tag. {@code in} and {@code if} count only outside brackets and strings, and an {@code if}
     * followed by an {@code else} is a conditional expression, not a loop filter.
     */
    private static int[] loopFilter(String src, int from, int to) {
        int i = from;
        while (i < to && Character.isWhitespace(src.charAt(i))) i++;
        if (!src.startsWith("for", i) || i + 3 >= to || !Character.isWhitespace(src.charAt(i + 3))) return null;
        int in = -1, lastIf = -1;
        boolean elseAfterIf = false;
        int depth = 0;
        for (int j = i + 3; j < to; j++) {
            char c = src.charAt(j);
            if (c == '\'' || c == '"') {
                j = skipString(src, j, 0);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && Character.isWhitespace(src.charAt(j - 1))) {
                if (in < 0 && word(src, j, to, "in")) in = j;
                else if (in >= 0 && word(src, j, to, "if")) {
                    lastIf = j;
                    elseAfterIf = false;
                } else if (lastIf >= 0 && word(src, j, to, "else")) elseAfterIf = true;
            }
        }
        if (in < 0 || lastIf < 0 || elseAfterIf) return null;
        return new int[] {from, in + 2, lastIf, lastIf + 2};
    }

    private static boolean word(String s, int at, int to, String w) {
        int end = at + w.length();
        return s.startsWith(w, at) && end < to && Character.isWhitespace(s.charAt(end));
    }

    /** A JUEL string literal. */
    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

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
                int[] forIf = kind == '%' ? loopFilter(src, bodyStart, bodyEnd) : null;
                if (forIf != null) {
                    // {% for x in items if cond %}: jinjava ignores the condition; filter the items first
                    out.append(src, bodyStart, forIf[1]);
                    out.append(' ').append(LOOP_FILTER_FUNCTION).append('(');
                    rewriteBody(src, forIf[1], forIf[2], out, filters, lineStarts);
                    StringBuilder cond = new StringBuilder();
                    rewriteBody(src, forIf[3], bodyEnd, cond, filters, lineStarts);
                    out.append(", ").append(quote(src.substring(forIf[0], forIf[1] - 3).strip().replaceFirst("^for\\s+", "")))
                            .append(", ").append(quote(cond.toString().strip())).append(") ");
                } else {
                    rewriteBody(src, bodyStart, bodyEnd, out, filters, lineStarts);
                }
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
        // open brackets; for '(' whether a keyword argument's value is open and needs its closing parenthesis
        java.util.ArrayDeque<boolean[]> parens = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<Character> brackets = new java.util.ArrayDeque<>();
        String head = src.substring(from, to).strip();
        boolean definition = head.startsWith("macro ") || head.startsWith("call(") || head.startsWith("call ");
        for (int i = from; i < to; i++) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') {
                int e = Math.min(skipString(src, i, lineAt(lineStarts, i)), to - 1);
                appendString(src, i, e, out);
                i = e;
                continue;
            }
            if (c == '[' && src.startsWith("::-1]", i + 1 + blanks(src, i + 1)) && i + 1 + blanks(src, i + 1) + 5 <= to) {
                out.append('.').append(REVERSED_METHOD).append("()");
                i = i + blanks(src, i + 1) + 5;
                continue;
            }
            if (c == '|') {
                int j = i + 1;
                while (j < to && Character.isWhitespace(src.charAt(j))) j++;
                int k = j;
                while (k < to && (Character.isLetterOrDigit(src.charAt(k)) || src.charAt(k) == '_')) k++;
                if (k > j) filters.putIfAbsent(src.substring(j, k), lineAt(lineStarts, i));
            }
            boolean inCall = !brackets.isEmpty() && brackets.peek() == '(';
            if (c == '(' || c == '[' || c == '{') {
                brackets.push(c);
                if (c == '(') parens.push(new boolean[1]);
            } else if (c == ')' || c == ']' || c == '}') {
                if (c == ')' && inCall && parens.pop()[0]) out.append(')');
                if (!brackets.isEmpty()) brackets.pop();
            } else if (c == ',' && inCall && parens.peek()[0]) {
                out.append(')');
                parens.peek()[0] = false;
            } else if (c == '=' && inCall && !definition && !parens.peek()[0] && isKeywordEquals(src, i, to)) {
                // jinjava binds f(k=a - 1) as (k=a) - 1: the value of a keyword argument goes in parentheses
                out.append("=(");
                parens.peek()[0] = true;
                continue;
            }
            out.append(c);
            // jinjava's scanner ends an expression at the first "}}", even that of nested dicts
            if (c == '}' && i + 1 < to && src.charAt(i + 1) == '}') out.append(' ');
        }
    }

    /** An {@code =} after a name, not part of {@code == != <= >=}. */
    private static boolean isKeywordEquals(String src, int i, int to) {
        if (i + 1 < to && src.charAt(i + 1) == '=') return false;
        int j = i - 1;
        if (j >= 0 && "=!<>".indexOf(src.charAt(j)) >= 0) return false;
        while (j >= 0 && src.charAt(j) == ' ') j--;
        return j >= 0 && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_');
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
        // Jinja2: whitespace_re.fullmatch(text, l_pos), \s+ (Unicode whitespace, a line has no newline left)
        for (int i = from; i < to; i++) if (!PyStrings.isSpace(s.charAt(i))) return false;
        return true;
    }



}
