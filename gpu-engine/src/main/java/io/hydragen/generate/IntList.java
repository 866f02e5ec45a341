package io.hydragen.generate;

import java.util.Arrays;

/** A growable int array (row lists of attention blocks) without boxing. */
final class IntList {
    private int[] a = new int[8];
    private int n;

    void add(int v) {
        if (n == a.length) a = Arrays.copyOf(a, n * 2);
        a[n++] = v;
    }

    void addAll(int[] vs) { for (int v : vs) add(v); }

    int[] toArray() { return Arrays.copyOf(a, n); }

    int get(int i) { return a[i]; }
}
