package io.hydragen.constrain;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal DFA over UTF-8 bytes accepting exactly the UTF-8 encodings of the strings a character automaton
 * accepts, in flat arrays: {@code next(state, byte)} is one array read.
 *
 * <p>Why bytes: a byte-level BPE token may end (or start) in the middle of a multi-byte character, so tokens
 * can only be walked exactly through an automaton that reads bytes. dk.brics works on UTF-16 chars, so each state
 * of its (minimal, deterministic) char automaton first gets its transitions as code point ranges: BMP ranges less
 * the surrogates, and a high-surrogate transition joined with its target's low-surrogate transitions into the
 * supplementary code points they spell (lone surrogates have no UTF-8 and are dropped). Then, per lead byte, the
 * code points it can start are sliced out; ASCII goes straight to the target state, other leads to a
 * mid-character state that reads the remaining continuation bytes. Mid-character states are shared by content
 * (continuation bytes left, offset ranges and targets), so a class like {@code [^"]} costs a handful of them, and the
 * construction is deterministic by itself: no subset construction over bytes. Overlong forms and code points past
 * U+10FFFF are never produced. States from which no accepting state can be reached are removed, so every state of a
 * {@code ByteDfa} is a valid prefix of some accepted string: a walk that never hits -1 stays a valid prefix.
 * Mid-character states are never accepting.
 */
public final class ByteDfa {
    /** {@code state * 256 + byte} to the next state, -1 when the byte leaves the language. */
    private final int[] next;
    private final boolean[] accept;
    /** True when some byte leads on from the state. */
    private final boolean[] hasNext;

    private ByteDfa(int[] next, boolean[] accept) {
        this.next = next;
        this.accept = accept;
        this.hasNext = new boolean[accept.length];
        for (int s = 0; s < accept.length; s++) {
            for (int b = 0; b < 256 && !hasNext[s]; b++) hasNext[s] = next[s * 256 + b] >= 0;
        }
    }

    public int initialState() { return 0; }

    public int stateCount() { return accept.length; }

    public int next(int state, int b) { return next[state * 256 + (b & 0xff)]; }

    public boolean accepting(int state) { return accept[state]; }

    public boolean hasNext(int state) { return hasNext[state]; }

    /** The state after the bytes from {@code state}, or -1. */
    public int walk(int state, byte[] bytes) {
        for (int i = 0; i < bytes.length && state >= 0; i++) state = next[state * 256 + (bytes[i] & 0xff)];
        return state;
    }

    /** Flat transition table, for {@link TokenIndex}'s walk. */
    int[] table() { return next; }

    /** Converts a character automaton (any; it is determinized first) to bytes. */
    public static ByteDfa fromChars(Automaton chars) {
        Automaton a = chars.clone();
        a.determinize();
        State init = a.getInitialState();
        List<State> order = new ArrayList<>();
        Map<State, Integer> index = new IdentityHashMap<>();
        index.put(init, 0);
        order.add(init);
        for (int i = 0; i < order.size(); i++) {
            for (Transition t : order.get(i).getTransitions()) {
                if (!index.containsKey(t.getDest())) {
                    index.put(t.getDest(), order.size());
                    order.add(t.getDest());
                }
            }
        }
        Builder b = new Builder(order.size());
        for (int i = 0; i < order.size(); i++) {
            State s = order.get(i);
            b.accept[i] = s.isAccept();
            int[] cps = codePointRanges(s, index);
            for (int[] lead : LEADS) {
                int[] sub = slice(cps, lead[1], lead[2], lead[3], lead[4]);
                if (sub.length == 0) continue;
                if (lead[0] < 0x80) {
                    b.set(i, lead[0], sub[2]);
                } else {
                    b.set(i, lead[0], b.node(lead[5], sub));
                }
            }
        }
        return flatten(b);
    }

    /**
     * Per lead byte: {byte, span base, span size, valid lo, valid hi, continuation bytes}. The valid range of the
     * encoding length rules out overlong forms (E0 80..9F, F0 80..8F) and code points past U+10FFFF.
     */
    private static final int[][] LEADS;

    static {
        List<int[]> leads = new ArrayList<>();
        for (int c = 0; c < 0x80; c++) leads.add(new int[] {c, c, 1, 0, 0x7F, 0});
        for (int c = 0xC2; c <= 0xDF; c++) leads.add(new int[] {c, (c & 0x1F) << 6, 64, 0x80, 0x7FF, 1});
        for (int c = 0xE0; c <= 0xEF; c++) leads.add(new int[] {c, (c & 0x0F) << 12, 4096, 0x800, 0xFFFF, 2});
        for (int c = 0xF0; c <= 0xF4; c++) leads.add(new int[] {c, (c & 0x07) << 18, 1 << 18, 0x10000, 0x10FFFF, 3});
        LEADS = leads.toArray(new int[0][]);
    }

    /**
     * The transitions of a char-DFA state as sorted, disjoint code point ranges {lo, hi, target, ...}: BMP ranges
     * without the surrogates, and each high-surrogate transition joined with the low-surrogate transitions of its
     * target into the supplementary code points they spell (lone surrogates have no UTF-8 and are dropped).
     */
    private static int[] codePointRanges(State s, Map<State, Integer> index) {
        List<int[]> out = new ArrayList<>();
        for (Transition t : s.getTransitions()) {
            int min = t.getMin(), max = t.getMax();
            int to = index.get(t.getDest());
            if (min <= 0xD7FF) out.add(new int[] {min, Math.min(max, 0xD7FF), to});
            if (max >= 0xE000) out.add(new int[] {Math.max(min, 0xE000), max, to});
            int hlo = Math.max(min, 0xD800), hhi = Math.min(max, 0xDBFF);
            if (hlo > hhi) continue;
            for (Transition low : t.getDest().getTransitions()) {
                int llo = Math.max(low.getMin(), 0xDC00), lhi = Math.min(low.getMax(), 0xDFFF);
                if (llo > lhi) continue;
                int to2 = index.get(low.getDest());
                if (llo == 0xDC00 && lhi == 0xDFFF) {
                    out.add(new int[] {Character.toCodePoint((char) hlo, (char) llo), Character.toCodePoint((char) hhi, (char) lhi), to2});
                } else {
                    for (int h = hlo; h <= hhi; h++) {
                        out.add(new int[] {Character.toCodePoint((char) h, (char) llo), Character.toCodePoint((char) h, (char) lhi), to2});
                    }
                }
            }
        }
        out.sort((x, y) -> Integer.compare(x[0], y[0]));
        int[] flat = new int[out.size() * 3];
        for (int i = 0; i < out.size(); i++) System.arraycopy(out.get(i), 0, flat, 3 * i, 3);
        return flat;
    }

    /** Ranges {lo, hi, target} (sorted) clipped to [base, base+size) and [validLo, validHi], shifted by -base. */
    private static int[] slice(int[] ranges, int base, int size, int validLo, int validHi) {
        int lo = Math.max(base, validLo), hi = Math.min(base + size - 1, validHi);
        if (lo > hi) return new int[0];
        int[] out = new int[ranges.length];
        int n = 0;
        for (int i = 0; i < ranges.length; i += 3) {
            int a = Math.max(ranges[i], lo), b = Math.min(ranges[i + 1], hi);
            if (a > b) continue;
            out[n++] = a - base;
            out[n++] = b - base;
            out[n++] = ranges[i + 2];
        }
        return Arrays.copyOf(out, n);
    }

    /** The flat table under construction; intermediate (mid-character) states are shared by content. */
    private static final class Builder {
        int[] next;
        boolean[] accept;
        int size;
        final Map<String, Integer> nodes = new java.util.HashMap<>();

        Builder(int charStates) {
            size = charStates;
            next = new int[Math.max(16, charStates * 2) * 256];
            Arrays.fill(next, -1);
            accept = new boolean[Math.max(16, charStates * 2)];
        }

        void set(int state, int b, int to) { next[state * 256 + b] = to; }

        int add() {
            if (size == accept.length) {
                int cap = accept.length * 2;
                accept = Arrays.copyOf(accept, cap);
                int old = next.length;
                next = Arrays.copyOf(next, cap * 256);
                Arrays.fill(next, old, next.length, -1);
            }
            return size++;
        }

        /** The state expecting {@code k} more continuation bytes, reading offsets {lo, hi, target} of its span. */
        int node(int k, int[] sub) {
            String key = k + Arrays.toString(sub);
            Integer known = nodes.get(key);
            if (known != null) return known;
            int id = add();
            nodes.put(key, id);
            int part = 1 << (6 * (k - 1));
            for (int c = 0; c < 64; c++) {
                int[] child = slice(sub, c * part, part, 0, Integer.MAX_VALUE);
                if (child.length == 0) continue;
                next[id * 256 + 0x80 + c] = k == 1 ? child[2] : node(k - 1, child);
            }
            return id;
        }
    }

    private static ByteDfa flatten(Builder bld) {
        int n = bld.size;
        int[] next = bld.next;
        boolean[] accept = bld.accept;
        List<List<Integer>> preds = new ArrayList<>();
        for (int i = 0; i < n; i++) preds.add(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 256; c++) {
                int d = next[i * 256 + c];
                if (d >= 0) preds.get(d).add(i);
            }
        }
        // keep only states that can still reach an accepting state
        boolean[] live = new boolean[n];
        ArrayDeque<Integer> work = new ArrayDeque<>();
        for (int i = 0; i < n; i++) if (accept[i]) { live[i] = true; work.add(i); }
        while (!work.isEmpty()) {
            for (int p : preds.get(work.poll())) if (!live[p]) { live[p] = true; work.add(p); }
        }
        if (!live[0]) throw new ConstraintException("the constraint accepts no string");
        int[] renum = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) renum[i] = live[i] ? m++ : -1;
        int[] next2 = new int[m * 256];
        boolean[] accept2 = new boolean[m];
        for (int i = 0; i < n; i++) {
            if (!live[i]) continue;
            accept2[renum[i]] = accept[i];
            for (int c = 0; c < 256; c++) {
                int d = next[i * 256 + c];
                next2[renum[i] * 256 + c] = d < 0 ? -1 : renum[d];
            }
        }
        return new ByteDfa(next2, accept2);
    }
}
