package io.hydragen.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python's {@code str} methods that chat templates call ({@code strip}, {@code split}, {@code title}, ...), with
 * Python's semantics: whitespace is {@code str.isspace()} (which counts U+00A0, U+3000, U+0085 and others that Java's
 * {@code String.trim()} does not), and indices count code points, not UTF-16 units.
 */
final class PyStrings {
    private PyStrings() {}

    /** Python's {@code str.isspace()} for one code point. */
    static boolean isSpace(int cp) {
        switch (cp) {
            case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
            case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
            case 0x85: case 0xA0: case 0x1680:
            case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0, end = s.length();
        if (left) {
            while (start < end) {
                int cp = s.codePointAt(start);
                if (!stripped(cp, chars)) break;
                start += Character.charCount(cp);
            }
        }
        if (right) {
            while (end > start) {
                int cp = s.codePointBefore(end);
                if (!stripped(cp, chars)) break;
                end -= Character.charCount(cp);
            }
        }
        return s.substring(start, end);
    }

    private static boolean stripped(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(new String(Character.toChars(cp))) >= 0;
    }

    /** {@code str.split(sep=None, maxsplit=-1)}. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
                if (i >= n) break;
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(s.substring(i));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.codePointAt(j))) j += Character.charCount(s.codePointAt(j));
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** {@code str.rsplit(sep=None, maxsplit=-1)}. */
    static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0) return split(s, sep, -1);
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.codePointBefore(j))) j -= Character.charCount(s.codePointBefore(j));
                if (j <= 0) break;
                if (out.size() == maxSplit) {
                    out.add(0, s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.codePointBefore(i))) i -= Character.charCount(s.codePointBefore(i));
                out.add(0, s.substring(i, j));
                j = i;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int to = s.length();
        while (out.size() < maxSplit) {
            int at = s.lastIndexOf(sep, to - sep.length());
            if (at < 0) break;
            out.add(0, s.substring(at + sep.length(), to));
            to = at;
        }
        out.add(0, s.substring(0, to));
        return out;
    }

    /** {@code str.title()}: a letter after a cased letter is lowered, any other letter is title-cased. */
    static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (prevCased) b.append(lower(new String(Character.toChars(cp))));
            else b.appendCodePoint(Character.toTitleCase(cp));
            prevCased = isCased(cp);
        }
        return b.toString();
    }

    /** {@code str.capitalize()}: first character title-cased (Python 3.8+), the rest lowered. */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int cp = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(cp))) + lower(s.substring(Character.charCount(cp)));
    }

    static String upper(String s) { return s.toUpperCase(Locale.ROOT); }

    static String lower(String s) { return s.toLowerCase(Locale.ROOT); }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    /** Length in code points, as Python's {@code len(str)}. */
    static int length(String s) { return s.codePointCount(0, s.length()); }

    /** {@code str.find(sub)} / {@code rfind}, as a code point index. */
    static int find(String s, String sub, boolean last) {
        int at = last ? s.lastIndexOf(sub) : s.indexOf(sub);
        return at < 0 ? -1 : s.codePointCount(0, at);
    }

    static int count(String s, String sub) {
        if (sub.isEmpty()) return length(s) + 1;
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    /** {@code s[start:stop:step]} over code points; null bounds are Python's omitted ones. */
    static String slice(String s, Integer start, Integer stop, Integer step) {
        int[] cps = s.codePoints().toArray();
        List<Integer> idx = sliceIndices(cps.length, start, stop, step);
        StringBuilder b = new StringBuilder();
        for (int i : idx) b.appendCodePoint(cps[i]);
        return b.toString();
    }

    /** The indices that Python's {@code seq[start:stop:step]} selects from a sequence of this length. */
    static List<Integer> sliceIndices(int len, Integer start, Integer stop, Integer step) {
        int st = step == null ? 1 : step;
        if (st == 0) throw new IllegalArgumentException("slice step cannot be zero");
        List<Integer> out = new ArrayList<>();
        if (st > 0) {
            int a = start == null ? 0 : clamp(start < 0 ? start + len : start, 0, len);
            int b = stop == null ? len : clamp(stop < 0 ? stop + len : stop, 0, len);
            for (int i = a; i < b; i += st) out.add(i);
        } else {
            int a = start == null ? len - 1 : clamp(start < 0 ? start + len : start, -1, len - 1);
            int b = stop == null ? -1 : clamp(stop < 0 ? stop + len : stop, -1, len - 1);
            for (int i = a; i > b; i += st) out.add(i);
        }
        return out;
    }

    private static int clamp(int v, int lo, int hi) { return Math.max(lo, Math.min(hi, v)); }
}
