package io.hydragen.generate;

import io.hydragen.backend.Backend;
import io.hydragen.backend.KvSegment;

import java.util.ArrayList;
import java.util.List;

/**
 * KV of recently seen prompt starts, kept across {@link Engine#generate} calls: a later batch whose root segment
 * begins with a cached run of tokens copies that run's KV instead of prefilling it again. Least recently used
 * entries are dropped to stay within a token budget. Used only under the engine's lock.
 */
final class PrefixKvCache implements AutoCloseable {
    private final Backend backend;
    private final int capacityTokens;
    private final List<Entry> entries = new ArrayList<>(); // least recently used first
    private int usedTokens;

    record Entry(int[] tokens, KvSegment kv) {}

    /** The first {@code length} tokens of {@code entry} equal the start of the looked-up prompt. */
    record Match(Entry entry, int length) {}

    PrefixKvCache(Backend backend, int capacityTokens) {
        this.backend = backend;
        this.capacityTokens = capacityTokens;
    }

    /** The cached entry sharing the longest start with {@code tokens}, or null when none shares any. */
    Match longestPrefix(int[] tokens) {
        Entry best = null;
        int bestLen = 0;
        for (Entry e : entries) {
            int n = Math.min(e.tokens.length, tokens.length), i = 0;
            while (i < n && e.tokens[i] == tokens[i]) i++;
            if (i > bestLen) { best = e; bestLen = i; }
        }
        if (best == null) return null;
        entries.remove(best);
        entries.add(best);
        return new Match(best, bestLen);
    }

    /** Keeps a copy of the first {@code tokens.length} slots of {@code source}, unless an entry already covers them. */
    void put(int[] tokens, KvSegment source) {
        if (tokens.length == 0 || tokens.length > capacityTokens) return;
        Match m = longestPrefix(tokens);
        if (m != null && m.length == tokens.length) return;
        while (usedTokens + tokens.length > capacityTokens && !entries.isEmpty()) {
            Entry old = entries.remove(0);
            usedTokens -= old.tokens.length;
            old.kv.close();
        }
        KvSegment copy;
        try {
            copy = KvAllocator.newSegment(backend, tokens.length);
        } catch (RuntimeException e) {
            if (io.hydragen.backend.AllocationException.isAllocationFailure(e)) return;  // caching is optional; the batch goes on
            throw e;
        }
        backend.copyKv(source, 0, copy, 0, tokens.length);
        copy.setLength(tokens.length);
        entries.add(new Entry(tokens.clone(), copy));
        usedTokens += tokens.length;
    }

    int usedTokens() { return usedTokens; }

    @Override
    public void close() {
        for (Entry e : entries) e.kv.close();
        entries.clear();
        usedTokens = 0;
    }
}
