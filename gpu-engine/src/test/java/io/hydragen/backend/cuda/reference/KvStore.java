package io.hydragen.backend.cuda.reference;

import io.hydragen.backend.cuda.SegmentRef;

import java.util.ArrayList;
import java.util.List;

/**
 * KV segments on the host in the device layout [layer][K|V][kvHead][capacity][headDim], found by the byte
 * addresses the plan tables hold (real device addresses in GPU tests, made-up ones in CPU tests).
 */
public final class KvStore {
    private record Seg(long base, float[] data) {}

    private final List<Seg> segs = new ArrayList<>();
    private final int layers, kvHeads, headDim;
    private long nextBase = 1L << 32;

    public KvStore(int layers, int kvHeads, int headDim) {
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    /** Elements of one segment of {@code capacity} tokens. */
    public long elements(int capacity) { return 2L * layers * kvHeads * capacity * headDim; }

    /** Registers {@code data} as a segment at a made-up address; returns its reference with {@code length} written. */
    public SegmentRef add(float[] data, int capacity, int length) {
        long base = nextBase;
        nextBase += (2L * data.length + (1 << 20)) & ~0xffL;
        return add(base, data, capacity, length);
    }

    /** Registers {@code data} as the segment at device address {@code base}. */
    public SegmentRef add(long base, float[] data, int capacity, int length) {
        if (data.length != elements(capacity)) throw new IllegalArgumentException("segment data has " + data.length + " elements");
        segs.add(new Seg(base, data));
        long hs = (long) capacity * headDim;
        return new SegmentRef(base, base + 2L * kvHeads * hs, capacity, length, hs, 2L * kvHeads * hs);
    }

    /** The element {@code elementOffset} elements after byte address {@code addr}. */
    public float get(long addr, long elementOffset) {
        for (Seg s : segs) {
            if (addr >= s.base && addr < s.base + 2L * s.data.length) {
                return s.data[(int) ((addr - s.base) / 2 + elementOffset)];
            }
        }
        throw new IllegalArgumentException("address " + Long.toHexString(addr) + " is no segment's");
    }

    /** Random bf16 contents for a segment (every slot, written or not). */
    public float[] random(java.util.Random rnd, int capacity) {
        return Bf16.random(rnd, (int) elements(capacity), 1f);
    }

    /** Key (or value) vector of (layer, head, token) of a segment, for the reference attention over whole rows. */
    public float[] vector(SegmentRef s, boolean value, int layer, int head, int token) {
        float[] v = new float[headDim];
        long base = value ? s.vAddr() : s.kAddr();
        long off = layer * s.layerStride() + head * s.headStride() + (long) token * headDim;
        for (int i = 0; i < headDim; i++) v[i] = get(base, off + i);
        return v;
    }
}
