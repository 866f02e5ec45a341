package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * A backend wrapper that counts the KV slots held (now and at the peak) and can run out of "device memory": a
 * {@link #newSegment} beyond {@link #limitTokens} live slots, or any with {@link #failAll}, throws
 * {@link OutOfMemoryError} as a native allocator would.
 */
final class CountingBackend implements Backend {
    private final Backend inner;
    long liveTokens, peakTokens;
    volatile long limitTokens = Long.MAX_VALUE;
    volatile boolean failAll;
    int allocations, failures;
    /** Forward passes run. */
    int forwards;

    CountingBackend(Backend inner) { this.inner = inner; }

    private final class Seg implements KvSegment {
        final KvSegment k;
        final int capacity;
        boolean closed;

        Seg(KvSegment k, int capacity) { this.k = k; this.capacity = capacity; }

        @Override public int length() { return k.length(); }
        @Override public int capacity() { return k.capacity(); }
        @Override public void setLength(int n) { k.setLength(n); }

        @Override public void close() {
            if (closed) return;
            closed = true;
            liveTokens -= capacity;
            k.close();
        }
    }

    void resetPeak() { peakTokens = liveTokens; }

    @Override public String name() { return inner.name(); }

    @Override public ModelConfig config() { return inner.config(); }

    @Override
    public KvSegment newSegment(int capacity) {
        if (failAll || liveTokens + capacity > limitTokens) {
            failures++;
            throw new OutOfMemoryError("simulated: no room for " + capacity + " KV slots (" + liveTokens + " held)");
        }
        KvSegment k = inner.newSegment(capacity);
        allocations++;
        liveTokens += capacity;
        peakTokens = Math.max(peakTokens, liveTokens);
        return new Seg(k, capacity);
    }

    private static KvSegment unwrap(KvSegment s) { return s instanceof CountingBackend.Seg w ? w.k : s; }

    @Override
    public void copyKv(KvSegment src, int srcFrom, KvSegment dst, int dstFrom, int n) {
        inner.copyKv(unwrap(src), srcFrom, unwrap(dst), dstFrom, n);
    }

    @Override
    public float[][] forward(ForwardBatch b, AttentionMode mode) {
        forwards++;
        KvSegment[] writes = new KvSegment[b.rows()];
        for (int i = 0; i < writes.length; i++) writes[i] = unwrap(b.writeSegments()[i]);
        List<AttentionBlock> blocks = new ArrayList<>();
        for (AttentionBlock a : b.blocks()) {
            List<KvSegment> segs = new ArrayList<>();
            for (KvSegment s : a.segments()) segs.add(unwrap(s));
            blocks.add(new AttentionBlock(segs, a.rows(), a.visibleInLast()));
        }
        return inner.forward(new ForwardBatch(b.tokens(), b.positions(), writes, b.writeSlots(), blocks, b.logitRows()), mode);
    }

    @Override public long kvBytesPerToken() { return inner.kvBytesPerToken(); }

    @Override public long availableMemoryBytes() { return inner.availableMemoryBytes(); }

    @Override public void close() { inner.close(); }
}
