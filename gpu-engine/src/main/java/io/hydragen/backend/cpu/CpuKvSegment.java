package io.hydragen.backend.cpu;

import io.hydragen.backend.KvSegment;

/**
 * KV of one segment on the CPU: per layer, keys and values laid out [kvHead][slot][headDim], so the keys of one
 * head are one contiguous matrix that BLAS multiplies by all the queries batched against it.
 */
final class CpuKvSegment implements KvSegment {
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    final OffHeap[] keys;
    final OffHeap[] values;
    private int length;
    private boolean closed;

    CpuKvSegment(int layers, int kvHeads, int headDim, int capacity) {
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keys = new OffHeap[layers];
        this.values = new OffHeap[layers];
        long per = (long) kvHeads * capacity * headDim;
        try {
            for (int l = 0; l < layers; l++) {
                keys[l] = new OffHeap(per);
                values[l] = new OffHeap(per);
            }
        } catch (RuntimeException e) {
            freeAll();
            throw e;
        }
    }

    private void freeAll() {
        for (OffHeap b : keys) if (b != null) b.close();
        for (OffHeap b : values) if (b != null) b.close();
    }

    /** Offset of (head, slot) in a layer's key or value buffer. */
    long offset(int head, int slot) { return ((long) head * capacity + slot) * headDim; }

    @Override public int length() { return length; }

    @Override public int capacity() { return capacity; }

    @Override public void setLength(int n) {
        if (n < 0 || n > capacity) throw new IllegalArgumentException("segment length " + n + " outside [0, " + capacity + "]");
        length = n;
    }

    int kvHeads() { return kvHeads; }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        freeAll();
    }
}
