package io.hydragen.constrain;

import java.util.ArrayList;
import java.util.List;

/** Regexes for the decimal integers in a range, in JSON's form (no leading zeros, no "-0"). */
final class IntegerRanges {
    private IntegerRanges() {}

    /** The integers lo..hi. */
    static String regex(long lo, long hi) {
        if (lo > hi) throw new IllegalArgumentException(lo + " > " + hi);
        if (lo >= 0) return natural(lo, hi);
        if (hi < 0) return "-" + natural(-hi, -lo);
        return "(?:-" + natural(1, -lo) + "|" + natural(0, hi) + ")";
    }

    /** Non-negative lo..hi, split by number of digits. */
    private static String natural(long lo, long hi) {
        List<String> parts = new ArrayList<>();
        int from = digits(lo), to = digits(hi);
        for (int len = from; len <= to; len++) {
            long a = Math.max(lo, len == 1 ? 0 : pow10(len - 1));
            long b = Math.min(hi, pow10(len) - 1);
            if (a <= b) parts.add(sameLength(Long.toString(a), Long.toString(b)));
        }
        return parts.size() == 1 ? parts.get(0) : "(?:" + String.join("|", parts) + ")";
    }

    /** Digit strings of one length from a to b (a <= b). */
    private static String sameLength(String a, String b) {
        if (a.equals(b)) return a;
        int n = a.length();
        if (n == 1) return "[" + a + "-" + b + "]";
        int i = 0;
        while (a.charAt(i) == b.charAt(i)) i++;
        if (i > 0) return a.substring(0, i) + sameLength(a.substring(i), b.substring(i));
        int rest = n - 1;
        List<String> parts = new ArrayList<>();
        char lowStart = a.charAt(0), highEnd = b.charAt(0);
        if (!a.substring(1).chars().allMatch(c -> c == '0')) {
            parts.add(a.charAt(0) + sameLength(a.substring(1), "9".repeat(rest)));
            lowStart++;
        }
        String highPart = null;
        if (!b.substring(1).chars().allMatch(c -> c == '9')) {
            highPart = b.charAt(0) + sameLength("0".repeat(rest), b.substring(1));
            highEnd--;
        }
        if (lowStart <= highEnd) {
            String first = lowStart == highEnd ? String.valueOf(lowStart) : "[" + lowStart + "-" + highEnd + "]";
            parts.add(first + "[0-9]" + (rest == 1 ? "" : "{" + rest + "}"));
        }
        if (highPart != null) parts.add(highPart);
        return parts.size() == 1 ? parts.get(0) : "(?:" + String.join("|", parts) + ")";
    }

    private static int digits(long v) { return Long.toString(v).length(); }

    private static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }
}
