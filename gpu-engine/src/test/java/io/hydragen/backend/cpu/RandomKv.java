package io.hydragen.backend.cpu;

import java.util.Random;

/** Test KV segments filled with standard-normal keys and values, drawn head by head, slot by slot, key then value. */
final class RandomKv {
    private RandomKv() {}

    /** One layer, {@code kvHeads} heads of {@code d} dims, {@code n} slots, all visible, stored as {@code dtype}. */
    static CpuKvSegment segment(int kvHeads, int n, int d, CpuDtype dtype, Random r) {
        CpuKvSegment s = new CpuKvSegment(1, kvHeads, d, n, dtype);
        s.setLength(n);
        for (int h = 0; h < kvHeads; h++) {
            for (int slot = 0; slot < n; slot++) {
                for (int i = 0; i < d; i++) {
                    s.setKey(0, h, slot, i, (float) r.nextGaussian());
                    s.setValue(0, h, slot, i, (float) r.nextGaussian());
                }
            }
        }
        return s;
    }
}
