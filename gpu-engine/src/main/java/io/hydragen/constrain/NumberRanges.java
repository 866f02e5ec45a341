package io.hydragen.constrain;

import java.util.ArrayList;
import java.util.List;

/**
 * Regexes for the JSON numbers (no exponent) between integer bounds, each inclusive or exclusive, either one absent.
 *
 * <p>A number is split by sign and then read as a magnitude {@code n.f}: between the integer bounds A and B of the
 * magnitude, {@code n} in A..B-1 takes any fraction, {@code n = B} only a fraction of zeros (B.0 = B), and an open
 * bound A takes {@code n = A} only with a fraction that is not all zeros. The negative side never writes "-0".
 */
final class NumberRanges {
    private NumberRanges() {}

    /**
     * The numbers in the interval, or null when it holds none.
     *
     * @param lo lower bound, null for none; {@code openLo} makes it exclusive
     * @param hi upper bound, null for none; {@code openHi} makes it exclusive
     * @param maxInteger the largest integer part written (the translation's digit bound)
     * @param maxDigits the most fraction digits written
     */
    static String regex(Long lo, boolean openLo, Long hi, boolean openHi, long maxInteger, int maxDigits) {
        List<String> sides = new ArrayList<>();
        // values >= 0 (0 itself is written here, never as "-0")
        boolean belowZero = lo == null || lo < 0;
        long a = belowZero ? 0 : lo;
        boolean openA = !belowZero && openLo;
        if (hi == null || hi >= a) {
            String pos = magnitude(a, openA, hi == null ? maxInteger : hi, hi != null && openHi, hi == null, maxDigits);
            if (pos != null) sides.add(pos);
        }
        // values < 0, as "-" and a magnitude y: y > 0 when the interval reaches zero, else y >= -hi
        if (belowZero) {
            long ya = hi == null || hi >= 0 ? 0 : -hi;
            boolean openYa = hi == null || hi >= 0 || openHi;
            String neg = magnitude(ya, openYa, lo == null ? maxInteger : -lo, lo != null && openLo, lo == null, maxDigits);
            if (neg != null) sides.add("-(?:" + neg + ")");
        }
        if (sides.isEmpty()) return null;
        return sides.size() == 1 ? sides.get(0) : "(?:" + String.join("|", sides) + ")";
    }

    /** Magnitudes n.f from a to b (non-negative integers; {@code unbounded}: b is only the digit bound, fractions allowed there). */
    private static String magnitude(long a, boolean openA, long b, boolean openB, boolean unbounded, int maxDigits) {
        String anyFraction = "(?:\\.[0-9]{1," + maxDigits + "})?";
        String zeroFraction = "(?:\\.0{1," + maxDigits + "})?";
        if (a > b) return null;
        if (a == b && !unbounded) return openA || openB ? null : a + zeroFraction;
        List<String> parts = new ArrayList<>();
        if (openA) parts.add(a + nonZeroFraction(maxDigits));
        long firstWhole = openA ? a + 1 : a;            // integer parts that take any fraction
        long lastWhole = unbounded ? b : b - 1;
        if (firstWhole <= lastWhole) parts.add(IntegerRanges.regex(firstWhole, lastWhole) + anyFraction);
        if (!unbounded && !openB) parts.add(b + zeroFraction);
        if (parts.isEmpty()) return null;
        return parts.size() == 1 ? parts.get(0) : "(?:" + String.join("|", parts) + ")";
    }

    /** A point and 1..maxDigits digits, not all zero: split on the position of the first non-zero digit. */
    private static String nonZeroFraction(int maxDigits) {
        List<String> parts = new ArrayList<>();
        for (int zeros = 0; zeros < maxDigits; zeros++) {
            int rest = maxDigits - 1 - zeros;
            parts.add((zeros == 0 ? "" : "0{" + zeros + "}") + "[1-9]" + (rest == 0 ? "" : "[0-9]{0," + rest + "}"));
        }
        return "\\.(?:" + String.join("|", parts) + ")";
    }
}
