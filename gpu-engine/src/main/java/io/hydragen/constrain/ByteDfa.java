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
 * can only be walked exactly through an automaton that reads bytes. dk.brics works on UTF-16 chars; every
 * character transition {@code [lo..hi] -> t} is expanded into the UTF-8 byte-range sequences of that range (the
 * usual split so that each sequence is a product of byte ranges, as in RE2 and Rust's utf8-ranges), a high
 * surrogate transition followed by a low surrogate one into the supplementary code points they spell, and lone
 * surrogates dropped (they have no UTF-8). The result, an NFA over bytes 0..255 (as dk.brics chars), is
 * determinized and minimized by dk.brics. States from which no accepting state can be reached are removed, so
 * every state of a {@code ByteDfa} is a valid prefix of some accepted string: a walk that never hits -1 stays a
 * valid prefix. States in the middle of a character are never accepting.
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
        List<State> states = new ArrayList<>(a.getStates());
        Map<State, State> bytes = new IdentityHashMap<>();
        for (State s : states) {
            State b = new State();
            b.setAccept(s.isAccept());
            bytes.put(s, b);
        }
        for (State s : states) {
            State from = bytes.get(s);
            for (Transition t : s.getTransitions()) {
                int min = t.getMin(), max = t.getMax();
                State to = bytes.get(t.getDest());
                if (min <= 0xD7FF) utf8(from, min, Math.min(max, 0xD7FF), to);
                if (max >= 0xE000) utf8(from, Math.max(min, 0xE000), max, to);
                int hlo = Math.max(min, 0xD800), hhi = Math.min(max, 0xDBFF);
                if (hlo > hhi) continue;
                for (Transition low : t.getDest().getTransitions()) {
                    int llo = Math.max(low.getMin(), 0xDC00), lhi = Math.min(low.getMax(), 0xDFFF);
                    if (llo > lhi) continue;
                    State to2 = bytes.get(low.getDest());
                    if (llo == 0xDC00 && lhi == 0xDFFF) {
                        utf8(from, Character.toCodePoint((char) hlo, (char) llo), Character.toCodePoint((char) hhi, (char) lhi), to2);
                    } else {
                        for (int h = hlo; h <= hhi; h++) {
                            utf8(from, Character.toCodePoint((char) h, (char) llo), Character.toCodePoint((char) h, (char) lhi), to2);
                        }
                    }
                }
            }
        }
        Automaton b = new Automaton();
        b.setInitialState(bytes.get(init));
        b.setDeterministic(false);
        b.minimize();
        return flatten(b);
    }

    private static ByteDfa flatten(Automaton b) {
        State init = b.getInitialState();
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
        int n = order.size();
        int[] next = new int[n * 256];
        Arrays.fill(next, -1);
        boolean[] accept = new boolean[n];
        List<List<Integer>> preds = new ArrayList<>();
        for (int i = 0; i < n; i++) preds.add(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            State s = order.get(i);
            accept[i] = s.isAccept();
            for (Transition t : s.getTransitions()) {
                int d = index.get(t.getDest());
                for (int c = t.getMin(); c <= t.getMax(); c++) next[i * 256 + c] = d;
                preds.get(d).add(i);
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

    /** Adds the UTF-8 byte paths of code points lo..hi (no surrogates among them) from one state to another. */
    private static void utf8(State from, int lo, int hi, State to) {
        if (lo > hi) return;
        for (int boundary : new int[] {0x7F, 0x7FF, 0xFFFF}) {
            if (lo <= boundary && hi > boundary) {
                utf8(from, lo, boundary, to);
                utf8(from, boundary + 1, hi, to);
                return;
            }
        }
        if (hi > 0x7F) {
            for (int i = 1; i < 4; i++) {
                int m = (1 << (6 * i)) - 1;
                if ((lo & ~m) != (hi & ~m)) {
                    if ((lo & m) != 0) {
                        utf8(from, lo, lo | m, to);
                        utf8(from, (lo | m) + 1, hi, to);
                        return;
                    }
                    if ((hi & m) != m) {
                        utf8(from, lo, (hi & ~m) - 1, to);
                        utf8(from, hi & ~m, hi, to);
                        return;
                    }
                }
            }
        }
        byte[] a = encode(lo), b = encode(hi);
        State s = from;
        for (int i = 0; i < a.length; i++) {
            State d = i == a.length - 1 ? to : new State();
            s.addTransition(new Transition((char) (a[i] & 0xff), (char) (b[i] & 0xff), d));
            s = d;
        }
    }

    private static byte[] encode(int cp) {
        return new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
