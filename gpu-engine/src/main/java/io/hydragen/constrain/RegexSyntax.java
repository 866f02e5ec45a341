package io.hydragen.constrain;

import dk.brics.automaton.Automaton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The regular expressions constraints are written in: the common subset of Python's {@code re}, Java's and
 * ECMAScript's syntax, always matched against the whole text (a leading {@code ^} and trailing {@code $} are
 * accepted and mean nothing more). Parsed to a small syntax tree over code points, which compiles to a
 * dk.brics automaton over UTF-16 chars (a supplementary character is its surrogate pair) and prints back as a
 * regex (the JSON Schema translation uses that to restrict a {@code pattern} to characters needing no escape).
 *
 * <p>Supported: literals, {@code .} (any character but newline), classes {@code [a-z]}, {@code [^...]},
 * {@code \d \w \s \D \W \S}, escapes {@code \n \t \r \f \v \0 \xHH \x{H..} &#92;uHHHH &#92;u{H..}} and escaped
 * punctuation, groups {@code (...)}, {@code (?:...)}, {@code (?<name>...)}, {@code (?P<name>...)}, alternation,
 * quantifiers {@code * + ? {n} {n,} {n,m}} (a lazy {@code ?} suffix changes nothing for a whole-text match).
 * Refused with a {@link ConstraintException} naming the feature: backreferences, lookaround, inline flags,
 * word boundaries and anchors elsewhere than at the ends, possessive quantifiers, Unicode property classes.
 */
final class RegexSyntax {
    private RegexSyntax() {}

    /** Largest bound of a counted repetition: each unit of it is a copy of the repeated automaton. */
    static final int MAX_REPEAT = 10_000;

    sealed interface Node permits Chars, Seq, Alt, Repeat {}

    /** One code point from the set. */
    record Chars(CodePoints set) implements Node {}

    /** Concatenation; empty = the empty string. */
    record Seq(List<Node> items) implements Node {}

    record Alt(List<Node> items) implements Node {}

    /** {@code max < 0}: unbounded. */
    record Repeat(Node item, int min, int max) implements Node {}

    static Node literal(String s) {
        List<Node> items = new ArrayList<>();
        s.codePoints().forEach(cp -> items.add(new Chars(CodePoints.single(cp))));
        return items.size() == 1 ? items.get(0) : new Seq(items);
    }

    // ---------------------------------------------------------------- parsing

    static Node parse(String pattern) {
        Parser p = new Parser(pattern);
        Node n = p.parseAlt();
        if (p.pos < p.cps.length) throw p.error("unbalanced ')'");
        return n;
    }

    private static final class Parser {
        final String source;
        final int[] cps;
        int pos;

        Parser(String source) {
            this.source = source;
            this.cps = source.codePoints().toArray();
        }

        ConstraintException error(String what) {
            return new ConstraintException("regex " + quote(source) + ": " + what + " (at code point " + pos + ")");
        }

        boolean more() { return pos < cps.length; }
        int peek() { return cps[pos]; }
        boolean at(String s) {
            int[] t = s.codePoints().toArray();
            if (pos + t.length > cps.length) return false;
            for (int i = 0; i < t.length; i++) if (cps[pos + i] != t[i]) return false;
            return true;
        }

        Node parseAlt() {
            List<Node> alts = new ArrayList<>();
            alts.add(parseSeq());
            while (more() && peek() == '|') {
                pos++;
                alts.add(parseSeq());
            }
            return alts.size() == 1 ? alts.get(0) : new Alt(alts);
        }

        Node parseSeq() {
            List<Node> items = new ArrayList<>();
            while (more() && peek() != '|' && peek() != ')') {
                Node atom = parseAtom();
                if (atom == null) continue; // an anchor at the ends
                items.add(parseQuantifiers(atom));
            }
            return items.size() == 1 ? items.get(0) : new Seq(items);
        }

        Node parseAtom() {
            int start = pos;
            int c = cps[pos++];
            switch (c) {
                case '(': {
                    if (at("?:")) {
                        pos += 2;
                    } else if (at("?P<") || (at("?<") && !at("?<=") && !at("?<!"))) {
                        while (more() && peek() != '>') pos++;
                        if (!more()) throw error("unterminated group name");
                        pos++;
                    } else if (at("?")) {
                        pos--;
                        throw error(at("(?=") || at("(?!") || at("(?<") ? "lookaround is not supported"
                                : at("(?P=") ? "backreferences are not supported" : "inline flags and (?...) groups are not supported");
                    }
                    Node inner = parseAlt();
                    if (!more() || peek() != ')') throw error("missing ')'");
                    pos++;
                    return inner;
                }
                case '[': return new Chars(parseClass());
                case '.': return new Chars(CodePoints.single('\n').complement());
                case '^':
                    if (start == 0) return null;
                    pos--;
                    throw error("'^' (anchor) is supported only at the start");
                case '$':
                    if (pos == cps.length) return null;
                    pos--;
                    throw error("'$' (anchor) is supported only at the end");
                case '\\': return new Chars(parseEscape(false));
                case '*': case '+': case '?':
                    pos--;
                    throw error("nothing to repeat");
                case '{':
                    if (quantifierAhead(start)) { pos--; throw error("nothing to repeat"); }
                    return new Chars(CodePoints.single(c));
                default:
                    return new Chars(CodePoints.single(c));
            }
        }

        /** Is there a {n}, {n,} or {n,m} at index i? Elsewhere '{' is a literal, as in Python. */
        boolean quantifierAhead(int i) {
            if (i >= cps.length || cps[i] != '{') return false;
            int j = i + 1, digits = 0;
            while (j < cps.length && Character.isDigit(cps[j])) { j++; digits++; }
            if (digits == 0) return false;
            if (j < cps.length && cps[j] == '}') return true;
            if (j >= cps.length || cps[j] != ',') return false;
            j++;
            while (j < cps.length && Character.isDigit(cps[j])) j++;
            return j < cps.length && cps[j] == '}';
        }

        Node parseQuantifiers(Node atom) {
            while (more()) {
                int c = peek();
                int min, max;
                if (c == '*') { min = 0; max = -1; pos++; }
                else if (c == '+') { min = 1; max = -1; pos++; }
                else if (c == '?') { min = 0; max = 1; pos++; }
                else if (c == '{' && quantifierAhead(pos)) {
                    pos++;
                    min = number();
                    if (peek() == '}') {
                        max = min;
                    } else {
                        pos++; // ','
                        max = peek() == '}' ? -1 : number();
                    }
                    pos++; // '}'
                    if (max >= 0 && max < min) throw error("repetition {" + min + "," + max + "} has max < min");
                    if (Math.max(min, max) > MAX_REPEAT) throw error("repetition bound over " + MAX_REPEAT);
                } else {
                    break;
                }
                if (more() && peek() == '?') pos++; // lazy: same language
                else if (more() && peek() == '+') throw error("possessive quantifiers are not supported");
                atom = new Repeat(atom, min, max);
            }
            return atom;
        }

        int number() {
            long v = 0;
            while (more() && Character.isDigit(peek())) {
                v = v * 10 + (peek() - '0');
                if (v > Integer.MAX_VALUE) throw error("repetition bound too large");
                pos++;
            }
            return (int) v;
        }

        CodePoints parseClass() {
            boolean negate = false;
            if (more() && peek() == '^') { negate = true; pos++; }
            CodePoints set = CodePoints.NONE;
            boolean first = true;
            while (true) {
                if (!more()) throw error("missing ']'");
                int c = peek();
                if (c == ']' && !first) { pos++; break; }
                first = false;
                CodePoints item;
                int lo;
                if (c == '\\') {
                    pos++;
                    item = parseEscape(true);
                    lo = item.singleValue();
                } else {
                    pos++;
                    lo = c;
                    item = CodePoints.single(c);
                }
                if (lo >= 0 && more() && peek() == '-' && pos + 1 < cps.length && cps[pos + 1] != ']') {
                    pos++;
                    int hi;
                    if (peek() == '\\') {
                        pos++;
                        hi = parseEscape(true).singleValue();
                        if (hi < 0) throw error("a class escape cannot end a range");
                    } else {
                        hi = cps[pos++];
                    }
                    if (hi < lo) throw error("bad range in character class");
                    item = CodePoints.of(lo, hi);
                }
                set = set.union(item);
            }
            return negate ? set.complement() : set;
        }

        CodePoints parseEscape(boolean inClass) {
            if (!more()) throw error("trailing backslash");
            int c = cps[pos++];
            switch (c) {
                case 'd': return DIGIT;
                case 'D': return DIGIT.complement();
                case 'w': return WORD;
                case 'W': return WORD.complement();
                case 's': return SPACE;
                case 'S': return SPACE.complement();
                case 'n': return CodePoints.single('\n');
                case 't': return CodePoints.single('\t');
                case 'r': return CodePoints.single('\r');
                case 'f': return CodePoints.single('\f');
                case 'v': return CodePoints.single(0x0B);
                case 'a': return CodePoints.single(0x07);
                case 'e': return CodePoints.single(0x1B);
                case '0':
                    if (more() && Character.isDigit(peek())) throw error("octal escapes are not supported");
                    return CodePoints.single(0);
                case 'b':
                    if (inClass) return CodePoints.single(0x08);
                    pos--;
                    throw error("word boundaries (\\b) are not supported");
                case 'x': {
                    if (more() && peek() == '{') return CodePoints.single(bracedHex());
                    return CodePoints.single(hex(2));
                }
                case 'u': {
                    if (more() && peek() == '{') return CodePoints.single(bracedHex());
                    int u = hex(4);
                    if (u >= 0xD800 && u <= 0xDBFF && at("\\u")) {
                        int save = pos;
                        pos += 2;
                        int low = hex(4);
                        if (low >= 0xDC00 && low <= 0xDFFF) return CodePoints.single(Character.toCodePoint((char) u, (char) low));
                        pos = save;
                    }
                    if (u >= 0xD800 && u <= 0xDFFF) throw error("lone surrogate \\u" + Integer.toHexString(u));
                    return CodePoints.single(u);
                }
                case 'p': case 'P':
                    pos--;
                    throw error("Unicode property classes (\\p) are not supported");
                case 'B': case 'A': case 'z': case 'Z': case 'G': case 'k':
                    pos--;
                    throw error("\\" + (char) c + " is not supported");
                default:
                    if (c >= '1' && c <= '9') { pos--; throw error("backreferences are not supported"); }
                    if (Character.isLetterOrDigit(c)) { pos--; throw error("unknown escape \\" + new String(Character.toChars(c))); }
                    return CodePoints.single(c);
            }
        }

        int hex(int digits) {
            int v = 0;
            for (int i = 0; i < digits; i++) {
                if (!more()) throw error("truncated hex escape");
                int d = Character.digit(cps[pos++], 16);
                if (d < 0) throw error("bad hex escape");
                v = v * 16 + d;
            }
            return v;
        }

        int bracedHex() {
            pos++; // '{'
            int v = 0, n = 0;
            while (more() && peek() != '}') {
                int d = Character.digit(cps[pos++], 16);
                if (d < 0 || ++n > 6) throw error("bad hex escape");
                v = v * 16 + d;
            }
            if (!more() || n == 0 || v > CodePoints.MAX) throw error("bad hex escape");
            pos++;
            return v;
        }
    }

    static final CodePoints DIGIT = CodePoints.of('0', '9');
    static final CodePoints WORD = CodePoints.of('0', '9').union(CodePoints.of('A', 'Z')).union(CodePoints.of('a', 'z')).union(CodePoints.single('_'));
    static final CodePoints SPACE = CodePoints.chars(" \t\n\r\f\u000B");

    // ---------------------------------------------------------------- rewriting, printing, compiling

    /** The same tree with every character set replaced by {@code f(set)}. */
    static Node mapChars(Node n, UnaryOperator<CodePoints> f) {
        if (n instanceof Chars c) return new Chars(f.apply(c.set()));
        if (n instanceof Seq s) return new Seq(s.items().stream().map(i -> mapChars(i, f)).toList());
        if (n instanceof Alt a) return new Alt(a.items().stream().map(i -> mapChars(i, f)).toList());
        Repeat r = (Repeat) n;
        return new Repeat(mapChars(r.item(), f), r.min(), r.max());
    }

    /** The regex of a tree, in the syntax {@link #parse} reads (and Java's java.util.regex reads the same way). */
    static String print(Node n) {
        StringBuilder sb = new StringBuilder();
        print(n, sb, false);
        return sb.toString();
    }

    private static void print(Node n, StringBuilder sb, boolean atom) {
        if (n instanceof Chars c) {
            printChars(c.set(), sb);
        } else if (n instanceof Seq s) {
            boolean wrap = atom && s.items().size() != 1;
            if (wrap) sb.append("(?:");
            for (Node i : s.items()) print(i, sb, s.items().size() == 1 && atom || i instanceof Alt);
            if (wrap) sb.append(')');
        } else if (n instanceof Alt a) {
            if (atom) sb.append("(?:");
            for (int i = 0; i < a.items().size(); i++) {
                if (i > 0) sb.append('|');
                print(a.items().get(i), sb, false);
            }
            if (atom) sb.append(')');
        } else {
            Repeat r = (Repeat) n;
            if (atom) sb.append("(?:");
            print(r.item(), sb, true);
            if (r.min() == 0 && r.max() < 0) sb.append('*');
            else if (r.min() == 1 && r.max() < 0) sb.append('+');
            else if (r.min() == 0 && r.max() == 1) sb.append('?');
            else if (r.max() < 0) sb.append('{').append(r.min()).append(",}");
            else if (r.max() == r.min()) sb.append('{').append(r.min()).append('}');
            else sb.append('{').append(r.min()).append(',').append(r.max()).append('}');
            if (atom) sb.append(')');
        }
    }

    private static void printChars(CodePoints set, StringBuilder sb) {
        int single = set.singleValue();
        if (single >= 0) {
            appendLiteral(single, sb, false);
            return;
        }
        if (set.isEmpty()) { sb.append("[^\\x{0}-\\x{10FFFF}]"); return; }
        CodePoints rest = set.complement();
        if (rest.isEmpty()) { sb.append("[\\x{0}-\\x{10FFFF}]"); return; }
        boolean negate = rest.rangeCount() < set.rangeCount();
        CodePoints shown = negate ? rest : set;
        sb.append(negate ? "[^" : "[");
        for (int i = 0; i < shown.rangeCount(); i++) {
            appendLiteral(shown.lo(i), sb, true);
            if (shown.hi(i) != shown.lo(i)) {
                if (shown.hi(i) > shown.lo(i) + 1) sb.append('-');
                appendLiteral(shown.hi(i), sb, true);
            }
        }
        sb.append(']');
    }

    private static void appendLiteral(int cp, StringBuilder sb, boolean inClass) {
        if (cp < 0x80) {
            if (Character.isLetterOrDigit(cp) || cp == ' ' || cp == '_' || (!inClass && (cp == '"' || cp == ':' || cp == ',' || cp == '-'))) {
                sb.append((char) cp);
            } else if (cp >= 0x21 && cp < 0x7F) {
                sb.append('\\').append((char) cp);
            } else {
                sb.append(String.format("\\x%02x", cp));
            }
        } else if (Character.isLetterOrDigit(cp) || (Character.getType(cp) == Character.OTHER_SYMBOL && cp > 0xFFFF)) {
            sb.appendCodePoint(cp);
        } else {
            sb.append("\\x{").append(Integer.toHexString(cp)).append('}');
        }
    }

    /** A dk.brics automaton over UTF-16 chars, minimal and deterministic. */
    static Automaton compile(Node n) { return compile(n, MinimalDfa::of); }

    /** With another minimization (the benchmark compares dk.brics' own, {@code a.minimize()}). */
    static Automaton compile(Node n, UnaryOperator<Automaton> minimal) {
        return minimal.apply(build(n, new java.util.HashMap<>(), minimal));
    }

    /** Builds bottom-up; equal subtrees (a JSON value regex repeats its parts) are built once. */
    private static Automaton build(Node n, Map<Node, Automaton> built, UnaryOperator<Automaton> minimal) {
        Automaton known = built.get(n);
        if (known != null) return known;
        Automaton a = buildNew(n, built, minimal);
        built.put(n, a);
        return a;
    }

    private static Automaton buildNew(Node n, Map<Node, Automaton> built, UnaryOperator<Automaton> minimal) {
        if (n instanceof Chars c) return chars(c.set());
        if (n instanceof Seq s) {
            if (s.items().isEmpty()) return Automaton.makeEmptyString();
            List<Automaton> parts = new ArrayList<>();
            for (Node i : s.items()) parts.add(build(i, built, minimal));
            return Automaton.concatenate(parts);
        }
        if (n instanceof Alt a) {
            List<Automaton> parts = new ArrayList<>();
            for (Node i : a.items()) parts.add(build(i, built, minimal));
            return minimal.apply(Automaton.union(parts)); // bottom-up: keeps the determinizations above small
        }
        Repeat r = (Repeat) n;
        Automaton item = minimal.apply(build(r.item(), built, minimal));
        return minimal.apply(r.max() < 0 ? item.repeat(r.min()) : item.repeat(r.min(), r.max()));
    }

    /** One code point of the set: a BMP character is one char, a supplementary one its surrogate pair. */
    static Automaton chars(CodePoints set) {
        List<Automaton> parts = new ArrayList<>();
        for (int i = 0; i < set.rangeCount(); i++) {
            int lo = set.lo(i), hi = set.hi(i);
            if (lo <= 0xFFFF) parts.add(Automaton.makeCharRange((char) lo, (char) Math.min(hi, 0xFFFF)));
            if (hi > 0xFFFF) {
                int a = Math.max(lo, 0x10000);
                char ha = Character.highSurrogate(a), la = Character.lowSurrogate(a);
                char hb = Character.highSurrogate(hi), lb = Character.lowSurrogate(hi);
                if (ha == hb) {
                    parts.add(Automaton.makeChar(ha).concatenate(Automaton.makeCharRange(la, lb)));
                } else {
                    parts.add(Automaton.makeChar(ha).concatenate(Automaton.makeCharRange(la, '\uDFFF')));
                    if (hb - ha > 1) {
                        parts.add(Automaton.makeCharRange((char) (ha + 1), (char) (hb - 1)).concatenate(Automaton.makeCharRange('\uDC00', '\uDFFF')));
                    }
                    parts.add(Automaton.makeChar(hb).concatenate(Automaton.makeCharRange('\uDC00', lb)));
                }
            }
        }
        if (parts.isEmpty()) return Automaton.makeEmpty();
        return parts.size() == 1 ? parts.get(0) : Automaton.union(parts);
    }

    static String quote(String s) {
        return s.length() > 200 ? "\"" + s.substring(0, 200) + "...\"" : "\"" + s + "\"";
    }
}
