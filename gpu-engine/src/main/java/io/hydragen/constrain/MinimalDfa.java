package io.hydragen.constrain;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The minimal DFA of a dk.brics automaton (deterministic or not): subset construction, then Moore's partition
 * refinement, both on flat int arrays over the automaton's own alphabet of intervals (the points where some
 * transition starts or ends). dk.brics' {@code determinize()} and {@code minimize()} compute the same automaton (the
 * minimal DFA of a language is unique) through sets of State objects and linked lists, and were the larger part of
 * compiling a realistic JSON schema, more than every token mask together.
 */
final class MinimalDfa {
    private MinimalDfa() {}

    static Automaton of(Automaton a) {
        List<State> states = new ArrayList<>();
        Map<State, Integer> id = new HashMap<>();
        State init = a.getInitialState();
        ArrayDeque<State> work = new ArrayDeque<>(List.of(init));
        id.put(init, 0);
        states.add(init);
        while (!work.isEmpty()) {
            for (Transition t : work.poll().getTransitions()) {
                if (id.putIfAbsent(t.getDest(), states.size()) == null) {
                    states.add(t.getDest());
                    work.add(t.getDest());
                }
            }
        }
        char[] points = points(states);
        int k = points.length;
        // the automaton may be nondeterministic (unions, repeats): per state its transitions as {min, max, target}
        int[][] moves = new int[states.size()][];
        boolean[] accepts = new boolean[states.size()];
        for (int s = 0; s < moves.length; s++) {
            State st = states.get(s);
            accepts[s] = st.isAccept();
            int[] m = new int[st.getTransitions().size() * 3];
            int i = 0;
            for (Transition t : st.getTransitions()) {
                m[i++] = t.getMin();
                m[i++] = t.getMax();
                m[i++] = id.get(t.getDest());
            }
            moves[s] = m;
        }
        Subsets dfa = determinize(moves, accepts, points);
        int n = dfa.count, dead = n;
        int[] delta = Arrays.copyOf(dfa.delta, (n + 1) * k);
        for (int i = 0; i < delta.length; i++) if (delta[i] < 0 || i >= n * k) delta[i] = dead;
        int[] cls = new int[n + 1];
        for (int s = 0; s < n; s++) cls[s] = dfa.accept[s] ? 1 : 0;
        int classes = refine(cls, delta, n + 1, k);
        if (classes < 0) {
            // a long chain (a string of up to thousands of characters) needs as many Moore rounds as it has states:
            // dk.brics' Hopcroft (n log n) minimizes the deterministic automaton instead
            int[] self = new int[n + 1];
            for (int s = 0; s <= n; s++) self[s] = s;
            Automaton d = build(dfa.accept, n, points, delta, self, n + 1, dead);
            d.minimize();
            return d;
        }
        return build(dfa.accept, n, points, delta, cls, classes, dead);
    }

    /** Rounds of Moore's refinement before handing over to dk.brics' Hopcroft. */
    static final int MAX_ROUNDS = 128;

    /** A DFA as built by subset construction: {@code delta[s * k + j]} is the state after interval j, or -1. */
    private record Subsets(int count, int[] delta, boolean[] accept) {}

    /** Subset construction over the intervals of {@code points}; subsets are sorted state ids. */
    private static Subsets determinize(int[][] moves, boolean[] accepts, char[] points) {
        int k = points.length;
        Map<Signature, Integer> ids = new HashMap<>();
        List<int[]> subsets = new ArrayList<>();
        int[] start = {0};
        ids.put(new Signature(start), 0);
        subsets.add(start);
        int[] delta = new int[16 * k];
        boolean[] accept = new boolean[16];
        int[] buf = new int[16];
        for (int d = 0; d < subsets.size(); d++) {
            int[] set = subsets.get(d);
            if ((d + 1) * k > delta.length) delta = Arrays.copyOf(delta, delta.length * 2);
            if (d >= accept.length) accept = Arrays.copyOf(accept, accept.length * 2);
            for (int s : set) accept[d] |= accepts[s];
            for (int j = 0; j < k; j++) {
                char c = points[j];
                int m = 0;
                for (int s : set) {
                    int[] mv = moves[s];
                    for (int i = 0; i < mv.length; i += 3) {
                        if (mv[i] <= c && c <= mv[i + 1]) {
                            if (m == buf.length) buf = Arrays.copyOf(buf, m * 2);
                            buf[m++] = mv[i + 2];
                        }
                    }
                }
                if (m == 0) {
                    delta[d * k + j] = -1;
                    continue;
                }
                int[] next = Arrays.stream(buf, 0, m).sorted().distinct().toArray();
                Integer known = ids.putIfAbsent(new Signature(next), subsets.size());
                if (known == null) {
                    delta[d * k + j] = subsets.size();
                    subsets.add(next);
                } else {
                    delta[d * k + j] = known;
                }
            }
        }
        return new Subsets(subsets.size(), delta, accept);
    }

    /**
     * Moore: split classes by (class, classes of successors) until the count stops growing; returns the count, or -1
     * after {@link #MAX_ROUNDS} rounds.
     */
    private static int refine(int[] cls, int[] delta, int n, int k) {
        int count = -1;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Map<Signature, Integer> ids = new HashMap<>();
            int[] next = new int[n];
            for (int s = 0; s < n; s++) {
                int[] sig = new int[k + 1];
                sig[0] = cls[s];
                for (int j = 0; j < k; j++) sig[j + 1] = cls[delta[s * k + j]];
                Integer c = ids.putIfAbsent(new Signature(sig), ids.size());
                next[s] = c == null ? ids.size() - 1 : c;
            }
            System.arraycopy(next, 0, cls, 0, n);
            if (ids.size() == count) return count;
            count = ids.size();
        }
        return -1;
    }

    private static Automaton build(boolean[] accept, int n, char[] points, int[] delta, int[] cls, int classes, int dead) {
        int k = points.length, deadClass = cls[dead];
        State[] out = new State[classes];
        for (int c = 0; c < classes; c++) out[c] = new State();
        boolean[] done = new boolean[classes];
        for (int s = 0; s < n; s++) {
            int c = cls[s];
            if (done[c]) continue;
            done[c] = true;
            out[c].setAccept(accept[s]);
            for (int j = 0; j < k; j++) {
                int d = cls[delta[s * k + j]];
                if (d == deadClass) continue;
                char max = j + 1 < k ? (char) (points[j + 1] - 1) : Character.MAX_VALUE;
                out[c].addTransition(new Transition(points[j], max, out[d]));
            }
        }
        Automaton r = new Automaton();
        r.setInitialState(out[cls[0]]);
        r.setDeterministic(true);
        r.reduce(); // merges adjacent intervals with the same target
        return r;
    }

    /** Sorted starts of the alphabet's intervals: every transition's min and max + 1, and char 0. */
    private static char[] points(List<State> states) {
        TreeSet<Character> ps = new TreeSet<>();
        ps.add('\0');
        for (State s : states) {
            for (Transition t : s.getTransitions()) {
                ps.add(t.getMin());
                if (t.getMax() < Character.MAX_VALUE) ps.add((char) (t.getMax() + 1));
            }
        }
        char[] out = new char[ps.size()];
        int i = 0;
        for (char c : ps) out[i++] = c;
        return out;
    }

    private record Signature(int[] v) {
        @Override public boolean equals(Object o) { return o instanceof Signature s && Arrays.equals(v, s.v); }
        @Override public int hashCode() { return Arrays.hashCode(v); }
    }
}
