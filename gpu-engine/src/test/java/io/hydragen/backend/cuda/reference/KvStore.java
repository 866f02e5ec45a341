package io.hydragen.backend.cuda.reference;

import io.hydragen.backend.cuda.SegmentRef;

import java.util.Map;
import java.util.TreeMap;

/**
 * KV segments on the host in the device layout [layer][K|V][kvHead][capacity][headDim], found by the byte
 * addresses the plan tables hold (real device addresses in GPU tests, made-up ones in CPU tests).
 */
public final class KvStore {
    private final TreeMap<Long, float[]> segs = new TreeMap<>();
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
        segs.put(base, data);
        long hs = (long) capacity * headDim;
        return new SegmentRef(base, base + 2L * kvHeads * hs, capacity, length, hs, 2L * kvHeads * hs);
    }

    /** The segment array holding byte address {@code addr}, and the element index of that address in it. */
    public record Slice(float[] data, int index) {}

    public Slice resolve(long addr) {
        Map.Entry<Long, float[]> e = segs.floorEntry(addr);
        if (e == null || addr >= e.getKey() + 2L * e.getValue().length) {
            throw new IllegalArgumentException("address " + Long.toHexString(addr) + " is no segment's");
        }
        return new Slice(e.getValue(), (int) ((addr - e.getKey()) / 2));
    }

    /** The element {@code elementOffset} elements after byte address {@code addr}. */
    public float get(long addr, long elementOffset) {
        Map.Entry<Long, float[]> e = segs.floorEntry(addr);
        if (e != null && addr < e.getKey() + 2L * e.getValue().length) {
            return e.getValue()[(int) ((addr - e.getKey()) / 2 + elementOffset)];
        }
        throw new IllegalArgumentException("address " + Long.toHexString(addr) + " is no segment's");
    }

    /** Random bf16 contents for a segment (every slot, written or not). */
    public float[] random(java.util.Random rnd, int capacity) {
        return Bf16.random(rnd, (int) elements(capacity), 1f);
    }

    /** Key (or value) vector of (layer, head, token) of a segment, for the reference attention over whole rows. */
    public float[] vector(SegmentRef s, boolean value, int layer, int head, int token) {
        Slice sl = resolve(value ? s.vAddr() : s.kAddr());
        int off = (int) (sl.index() + layer * s.layerStride() + head * s.headStride() + (long) token * headDim);
        float[] v = new float[headDim];
        System.arraycopy(sl.data(), off, v, 0, headDim);
        return v;
    }
}
