package io.hydragen.backend;

/**
 * Keys and values of a run of consecutive tokens, for every layer, owned by a backend. A shared prefix
 * is one segment read by every sequence under it; each sequence's own suffix and generated tokens are another.
 */
public interface KvSegment extends AutoCloseable {

    /** Tokens written so far (the keys visible to attention). */
    int length();

    /** Most tokens it can hold. */
    int capacity();

    /** Marks slots [0, n) as written; the generation loop calls it before a forward pass writes them. */
    void setLength(int n);

    /** Frees its memory; idempotent. */
    @Override
    void close();
}
