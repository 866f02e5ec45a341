package io.hydragen.backend.cpu;

import io.hydragen.model.ModelConfig;

/** Activation buffers of the forward pass, grown to the largest batch seen and reused. */
final class Workspace implements AutoCloseable {
    OffHeap x, h, qkv, q, att, gateUp, ffn, last, logits;
    private int rows = -1, logitRows = -1;

    void ensure(int n, ModelConfig c) {
        if (n <= rows) return;
        closeActivations();
        int cap = Math.max(n, 8);
        try {
            allocate(cap, c);
        } catch (RuntimeException e) {
            closeActivations();   // a later, smaller pass allocates afresh
            throw e;
        }
        rows = cap;
    }

    private void allocate(int cap, ModelConfig c) {
        x = new OffHeap((long) cap * c.hiddenSize());
        h = new OffHeap((long) cap * c.hiddenSize());
        qkv = new OffHeap((long) cap * (c.qDim() + 2L * c.kvDim()));
        q = new OffHeap((long) cap * c.qDim());
        att = new OffHeap((long) cap * c.qDim());
        gateUp = new OffHeap((long) cap * 2 * c.intermediateSize());
        ffn = new OffHeap((long) cap * c.intermediateSize());
    }

    void ensureLogits(int k, int vocab, int hidden) {
        if (k <= logitRows) return;
        closeLogits();
        try {
            last = new OffHeap((long) k * hidden);
            logits = new OffHeap((long) k * vocab);
        } catch (RuntimeException e) {
            closeLogits();
            throw e;
        }
        logitRows = k;
    }

    private void closeActivations() {
        for (OffHeap b : new OffHeap[] {x, h, qkv, q, att, gateUp, ffn}) if (b != null) b.close();
        x = h = qkv = q = att = gateUp = ffn = null;
        rows = -1;
    }

    private void closeLogits() {
        if (last != null) last.close();
        if (logits != null) logits.close();
        last = logits = null;
        logitRows = -1;
    }

    /** Off-heap bytes held now. */
    long bytes() {
        long n = 0;
        for (OffHeap b : new OffHeap[] {x, h, qkv, q, att, gateUp, ffn, last, logits}) if (b != null) n += 4 * b.length;
        return n;
    }

    @Override
    public void close() {
        closeActivations();
        closeLogits();
    }
}
