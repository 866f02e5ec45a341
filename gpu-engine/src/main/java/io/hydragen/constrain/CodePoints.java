package io.hydragen.constrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of Unicode scalar values (code points 0..0x10FFFF without the surrogates D800..DFFF), as sorted,
 * disjoint, non-adjacent inclusive ranges. Regex character classes are sets of code points, so a supplementary
 * character counts as one character, as JSON Schema's minLength/maxLength count them.
 */
final class CodePoints {
    static final int MAX = 0x10FFFF;
    static final CodePoints ALL = of(0, MAX);
    static final CodePoints NONE = new CodePoints(new int[0]);

    /** lo0, hi0, lo1, hi1, ... */
    private final int[] ranges;

    private CodePoints(int[] ranges) { this.ranges = ranges; }

    static CodePoints of(int lo, int hi) { return normalize(new int[] {lo, hi}); }

    static CodePoints single(int cp) { return of(cp, cp); }

    /** Code points of a string: each one of them. */
    static CodePoints chars(String s) {
        int[] cps = s.codePoints().toArray();
        int[] r = new int[cps.length * 2];
        for (int i = 0; i < cps.length; i++) { r[2 * i] = cps[i]; r[2 * i + 1] = cps[i]; }
        return normalize(r);
    }

    int rangeCount() { return ranges.length / 2; }
    int lo(int i) { return ranges[2 * i]; }
    int hi(int i) { return ranges[2 * i + 1]; }
    boolean isEmpty() { return ranges.length == 0; }

    boolean contains(int cp) {
        for (int i = 0; i < ranges.length; i += 2) if (cp >= ranges[i] && cp <= ranges[i + 1]) return true;
        return false;
    }

    /** The only member, or -1 when there are none or several. */
    int singleValue() { return ranges.length == 2 && ranges[0] == ranges[1] ? ranges[0] : -1; }

    CodePoints union(CodePoints o) {
        int[] r = Arrays.copyOf(ranges, ranges.length + o.ranges.length);
        System.arraycopy(o.ranges, 0, r, ranges.length, o.ranges.length);
        return normalize(r);
    }

    CodePoints complement() {
        List<Integer> r = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) { r.add(next); r.add(ranges[i] - 1); }
            next = ranges[i + 1] + 1;
        }
        if (next <= MAX) { r.add(next); r.add(MAX); }
        return normalize(r.stream().mapToInt(Integer::intValue).toArray());
    }

    CodePoints minus(CodePoints o) { return complement().union(o).complement(); }

    CodePoints intersect(CodePoints o) { return complement().union(o.complement()).complement(); }

    /** Sorts and merges ranges, drops the surrogates. */
    private static CodePoints normalize(int[] r) {
        int n = r.length / 2;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            if (r[2 * i] > r[2 * i + 1] || r[2 * i] < 0 || r[2 * i + 1] > MAX) {
                throw new ConstraintException("bad character range " + r[2 * i] + ".." + r[2 * i + 1]);
            }
            packed[i] = ((long) r[2 * i] << 32) | r[2 * i + 1];
        }
        Arrays.sort(packed);
        List<Integer> out = new ArrayList<>();
        for (long p : packed) {
            int lo = (int) (p >>> 32), hi = (int) p;
            int k = out.size();
            if (k > 0 && lo <= out.get(k - 1) + 1) {
                out.set(k - 1, Math.max(out.get(k - 1), hi));
            } else {
                out.add(lo);
                out.add(hi);
            }
        }
        List<Integer> cut = new ArrayList<>();
        for (int i = 0; i < out.size(); i += 2) {
            int lo = out.get(i), hi = out.get(i + 1);
            if (lo < 0xD800 && hi >= 0xD800) { cut.add(lo); cut.add(0xD7FF); lo = 0xE000; }
            if (lo >= 0xD800 && lo <= 0xDFFF) lo = 0xE000;
            if (lo <= hi) { cut.add(lo); cut.add(hi); }
        }
        return new CodePoints(cut.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public boolean equals(Object o) { return o instanceof CodePoints c && Arrays.equals(ranges, c.ranges); }

    @Override
    public int hashCode() { return Arrays.hashCode(ranges); }
}
