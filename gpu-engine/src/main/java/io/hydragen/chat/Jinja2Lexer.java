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
 * reversing method {@link PyMethodResolver} provides.
 */
final class Jinja2Lexer {
    private Jinja2Lexer() {}

    static final String REVERSED_METHOD = "hydragen_reversed";

    static String preprocess(String template) {
        String src = normalizeNewlines(template);
        StringBuilder out = new StringBuilder(src.length());
        int n = src.length();
        int pos = 0;
        boolean lineStarting = true;
        boolean stripNext = false;
        while (pos < n) {
            int start = nextTagStart(src, pos);
            String data = src.substring(pos, start < 0 ? n : start);
            if (stripNext) data = lstripAll(data);
            stripNext = false;
            if (start < 0) {
                out.append(data);
                break;
            }
            char kind = src.charAt(start + 1);
            char marker = start + 2 < n ? src.charAt(start + 2) : 0;
            if (marker == '-') {
                data = rstripAll(data);
            } else if (marker != '+' && (kind == '%' || kind == '#')) {
                int lpos = data.lastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && onlyBlanks(data, lpos)) data = data.substring(0, lpos);
            }
            out.append(data);
            int bodyStart = start + 2 + (marker == '-' || marker == '+' ? 1 : 0);
            int end; // index of the closing "}}", "%}" or "#}"
            if (kind == '#') {
                end = src.indexOf("#}", bodyStart);
                if (end < 0) throw new ChatTemplateException("unclosed comment (line " + lineOf(src, start) + ")");
            } else {
                end = findTagEnd(src, bodyStart, kind == '{' ? '}' : '%', start);
            }
            char endMarker = end > bodyStart ? src.charAt(end - 1) : 0;
            int bodyEnd = endMarker == '-' || (endMarker == '+' && kind == '%') ? end - 1 : end;
            int after = end + 2;
            if (kind == '%' && isTag(src.substring(bodyStart, bodyEnd), "raw")) {
                // raw: content as written, the end tag's own whitespace control applies to it
                int endRaw = findEndRaw(src, after);
                if (endRaw < 0) throw new ChatTemplateException("unclosed raw block (line " + lineOf(src, start) + ")");
                String content = src.substring(after, endRaw);
                if (endMarker == '-') content = lstripAll(content);
                char endRawMarker = src.charAt(endRaw + 2);
                if (endRawMarker == '-') content = rstripAll(content);
                out.append("{% raw %}").append(content).append("{% endraw %}");
                int endRawBody = endRaw + 2 + (endRawMarker == '-' || endRawMarker == '+' ? 1 : 0);
                end = findTagEnd(src, endRawBody, '%', endRaw);
                endMarker = src.charAt(end - 1);
                after = end + 2;
            } else if (kind != '#') {
                out.append('{').append(kind == '{' ? '{' : '%')
                        .append(rewriteBody(src.substring(bodyStart, bodyEnd)))
                        .append(kind == '{' ? '}' : '%').append('}');
            }
            if (endMarker == '-') {
                stripNext = true;
            } else if (kind != '{' && !(endMarker == '+' && kind == '%') && after < n && src.charAt(after) == '\n') {
                after++; // trim_blocks
            }
            lineStarting = after > 0 && src.charAt(after - 1) == '\n';
            pos = after;
        }
        return out.toString();
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
    private static int findTagEnd(String s, int from, char closer, int tagStart) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
                continue;
            }
            if (depth == 0 && c == closer && i + 1 < s.length() && s.charAt(i + 1) == '}') return i;
            if (c == '(' || c == '[' || c == '{') depth++;
            else if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
        }
        throw new ChatTemplateException("unclosed tag (line " + lineOf(s, tagStart) + ")");
    }

    private static int skipString(String s, int quoteAt) {
        char q = s.charAt(quoteAt);
        for (int i = quoteAt + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') i++;
            else if (c == q) return i;
        }
        throw new ChatTemplateException("unclosed string (line " + lineOf(s, quoteAt) + ")");
    }

    private static int findEndRaw(String s, int from) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%}").matcher(s);
        return m.find(from) ? m.start() : -1;
    }

    private static boolean isTag(String body, String name) {
        return body.strip().equals(name);
    }

    /** {@code x[::-1]} outside string literals becomes {@code x.hydragen_reversed()}. */
    private static String rewriteBody(String body) {
        if (!body.contains("::-1")) return body;
        StringBuilder b = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                int e = skipString(body, i);
                b.append(body, i, e + 1);
                i = e;
            } else if (c == '[' && body.startsWith("::-1]", i + 1 + blanks(body, i + 1))) {
                int j = i + 1 + blanks(body, i + 1) + 5;
                b.append('.').append(REVERSED_METHOD).append("()");
                i = j - 1;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static int blanks(String s, int from) {
        int i = from;
        while (i < s.length() && s.charAt(i) == ' ') i++;
        return i - from;
    }

    private static boolean onlyBlanks(String s, int from) {
        for (int i = from; i < s.length(); i++) if (s.charAt(i) != ' ' && s.charAt(i) != '\t') return false;
        return true;
    }

    private static String lstripAll(String s) {
        int i = 0;
        while (i < s.length() && PyStrings.isSpace(s.charAt(i))) i++;
        return s.substring(i);
    }

    private static String rstripAll(String s) {
        int i = s.length();
        while (i > 0 && PyStrings.isSpace(s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    private static int lineOf(String s, int index) {
        int line = 1;
        for (int i = 0; i < index && i < s.length(); i++) if (s.charAt(i) == '\n') line++;
        return line;
    }
}
