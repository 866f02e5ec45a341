package io.hydragen.constrain;

import io.hydragen.tokenizer.TokenBytes;
import io.hydragen.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiled constraints by (tokenizer, vocabulary size, {@link Constraint#canonical}), least recently used first
 * out past a bound. Every row with the same constraint, in any batch, gets the same {@link TokenIndex}, so its
 * per-state masks are computed once. Tokenizers are keyed by identity (one loaded tokenizer per model in an
 * engine); their token bytes, sorted for the mask walk, are cached alongside (the last 4 tokenizers). Concurrent requests for one key compile it once; different
 * keys compile in parallel. A constraint that fails to compile is not cached (the error is thrown each time).
 */
public final class ConstraintCache {
    private static final ConstraintCache SHARED = new ConstraintCache(64);

    private final int maxEntries;
    private final Map<Key, Entry> entries;
    private final Map<TokKey, TokenIndex.Vocab> tables;

    public ConstraintCache(int maxEntries) {
        if (maxEntries < 1) throw new IllegalArgumentException("maxEntries must be at least 1");
        this.maxEntries = maxEntries;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<Key, Entry> e) { return size() > ConstraintCache.this.maxEntries; }
        };
        this.tables = new LinkedHashMap<>(4, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<TokKey, TokenIndex.Vocab> e) { return size() > 4; }
        };
    }

    /** The process-wide cache (64 entries). */
    public static ConstraintCache shared() { return SHARED; }

    /**
     * The compiled constraint for a tokenizer and a model vocabulary (the length of its logits).
     *
     * @throws ConstraintException when the constraint cannot be compiled
     */
    public TokenIndex get(Tokenizer tokenizer, int vocabSize, Constraint constraint) {
        Key key = new Key(new TokKey(tokenizer, vocabSize), constraint.canonical());
        Entry e;
        synchronized (this) {
            e = entries.computeIfAbsent(key, k -> new Entry());
        }
        synchronized (e) {
            if (e.index == null) {
                try {
                    e.index = new TokenIndex(constraint.byteDfa(), vocab(key.tokenizer()));
                } catch (RuntimeException ex) {
                    synchronized (this) {
                        entries.remove(key, e);
                    }
                    throw ex;
                }
            }
            return e.index;
        }
    }

    public synchronized int size() { return entries.size(); }

    public synchronized void clear() {
        entries.clear();
        tables.clear();
    }

    private TokenIndex.Vocab vocab(TokKey k) {
        synchronized (this) {
            TokenIndex.Vocab t = tables.get(k);
            if (t != null) return t;
        }
        TokenIndex.Vocab t = new TokenIndex.Vocab(TokenBytes.table(k.tokenizer, k.vocabSize), k.vocabSize);
        synchronized (this) {
            tables.putIfAbsent(k, t);
            return tables.get(k);
        }
    }

    private static final class Entry {
        TokenIndex index;
    }

    private record Key(TokKey tokenizer, String canonical) {}

    /** A tokenizer by identity, with the vocabulary size its table covers. */
    private static final class TokKey {
        final Tokenizer tokenizer;
        final int vocabSize;

        TokKey(Tokenizer tokenizer, int vocabSize) {
            this.tokenizer = tokenizer;
            this.vocabSize = vocabSize;
        }

        @Override public boolean equals(Object o) { return o instanceof TokKey k && k.tokenizer == tokenizer && k.vocabSize == vocabSize; }

        @Override public int hashCode() { return System.identityHashCode(tokenizer) * 31 + vocabSize; }
    }
}
