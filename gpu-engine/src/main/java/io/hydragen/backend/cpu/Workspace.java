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
        x = new OffHeap((long) cap * c.hiddenSize());
        h = new OffHeap((long) cap * c.hiddenSize());
        qkv = new OffHeap((long) cap * (c.qDim() + 2L * c.kvDim()));
        q = new OffHeap((long) cap * c.qDim());
        att = new OffHeap((long) cap * c.qDim());
        gateUp = new OffHeap((long) cap * 2 * c.intermediateSize());
        ffn = new OffHeap((long) cap * c.intermediateSize());
        rows = cap;
    }

    void ensureLogits(int k, int vocab, int hidden) {
        if (k <= logitRows) return;
        if (last != null) { last.close(); logits.close(); }
        last = new OffHeap((long) k * hidden);
        logits = new OffHeap((long) k * vocab);
        logitRows = k;
    }

    private void closeActivations() {
        for (OffHeap b : new OffHeap[] {x, h, qkv, q, att, gateUp, ffn}) if (b != null) b.close();
    }

    @Override
    public void close() {
        closeActivations();
        if (last != null) { last.close(); logits.close(); }
    }
}
