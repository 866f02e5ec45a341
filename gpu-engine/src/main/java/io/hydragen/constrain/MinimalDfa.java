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
 * The minimal DFA of a dk.brics automaton: dk.brics' subset construction, then Moore's partition refinement on flat
 * int arrays over the automaton's own alphabet of intervals (the points where some transition starts or ends).
 * dk.brics' {@code minimize()} computes the same automaton (the minimal DFA of a language is unique) with linked lists
 * and hash sets, and was the larger part of compiling a realistic JSON schema, more than every token mask together.
 */
final class MinimalDfa {
    private MinimalDfa() {}

    static Automaton of(Automaton a) {
        a.determinize();
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
        int n = states.size(), k = points.length, dead = n;
        // delta[s * k + j]: the state after a char of interval j; the extra state n is the missing transitions' sink
        int[] delta = new int[(n + 1) * k];
        Arrays.fill(delta, dead);
        for (int s = 0; s < n; s++) {
            for (Transition t : states.get(s).getTransitions()) {
                int to = id.get(t.getDest());
                for (int j = Arrays.binarySearch(points, t.getMin()); j < k && points[j] <= t.getMax(); j++) delta[s * k + j] = to;
            }
        }
        int[] cls = new int[n + 1];
        for (int s = 0; s < n; s++) cls[s] = states.get(s).isAccept() ? 1 : 0;
        int classes = refine(cls, delta, n + 1, k);
        return build(states, points, delta, cls, classes, dead);
    }

    /** Moore: split classes by (class, classes of successors) until the count stops growing; returns the count. */
    private static int refine(int[] cls, int[] delta, int n, int k) {
        int count = -1;
        while (true) {
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
    }

    private static Automaton build(List<State> states, char[] points, int[] delta, int[] cls, int classes, int dead) {
        int k = points.length, deadClass = cls[dead];
        State[] out = new State[classes];
        for (int c = 0; c < classes; c++) out[c] = new State();
        boolean[] done = new boolean[classes];
        for (int s = 0; s < states.size(); s++) {
            int c = cls[s];
            if (done[c]) continue;
            done[c] = true;
            out[c].setAccept(states.get(s).isAccept());
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
