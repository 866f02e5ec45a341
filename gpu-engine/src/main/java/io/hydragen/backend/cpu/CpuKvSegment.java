package io.hydragen.backend.cpu;

import io.hydragen.backend.KvSegment;
import io.hydragen.model.Half;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * KV of one segment on the CPU, per layer one key and one value buffer holding every KV head. In fp32, keys and values
 * are laid out [kvHead][slot][headDim], so the keys of one head are one contiguous matrix that BLAS multiplies by all
 * the queries batched against it. In bf16 (half the bytes; values rounded to nearest even when written) each head's
 * region follows {@link Bf16KvLayout}, the AVX512_BF16 kernel's packing, zero filled so padding reads as zeros.
 */
final class CpuKvSegment implements KvSegment {
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    final CpuDtype dtype;
    /** The bf16 packing; null in fp32. */
    final Bf16KvLayout layout;
    final OffHeap[] keys;
    final OffHeap[] values;
    private int length;
    private boolean closed;

    CpuKvSegment(int layers, int kvHeads, int headDim, int capacity) { this(layers, kvHeads, headDim, capacity, CpuDtype.FP32); }

    CpuKvSegment(int layers, int kvHeads, int headDim, int capacity, CpuDtype dtype) {
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.dtype = dtype;
        this.layout = dtype == CpuDtype.BF16 ? new Bf16KvLayout(headDim, capacity) : null;
        this.keys = new OffHeap[layers];
        this.values = new OffHeap[layers];
        // floats per buffer; a bf16 buffer holds two values per float
        long keyFloats = layout == null ? (long) kvHeads * capacity * headDim : kvHeads * layout.keyHeadShorts / 2;
        long valueFloats = layout == null ? keyFloats : kvHeads * layout.valueHeadShorts / 2;
        try {
            for (int l = 0; l < layers; l++) {
                keys[l] = new OffHeap(keyFloats);
                values[l] = new OffHeap(valueFloats);
                if (layout != null) {
                    keys[l].pointer.zero();
                    values[l].pointer.zero();
                }
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

    /** fp32: offset in floats of (head, slot) in a layer's key or value buffer. */
    long offset(int head, int slot) { return ((long) head * capacity + slot) * headDim; }

    /** bf16: offset in shorts of a head's key region. */
    long keyBase(int head) { return head * layout.keyHeadShorts; }

    /** bf16: offset in shorts of a head's value region. */
    long valueBase(int head) { return head * layout.valueHeadShorts; }

    /** Stores one token's key and value of one head from {@code src} (at {@code keyAt} and {@code valueAt}, in floats). */
    void write(int layer, int head, int slot, FloatBuffer src, int keyAt, int valueAt) {
        if (layout == null) {
            int at = (int) offset(head, slot);
            keys[layer].floats.put(at, src, keyAt, headDim);
            values[layer].floats.put(at, src, valueAt, headDim);
            return;
        }
        writeBf16Key(keys[layer].bytes, keyBase(head) + layout.keyIndex(slot, 0), src, keyAt);
        writeBf16Value(values[layer].bytes, valueBase(head) + layout.valueIndex(slot, 0), src, valueAt);
    }

    /**
     * Stores one token's keys and values of every KV head from {@code src}: head h's key at {@code keyAt + h·headDim}
     * and value at {@code valueAt + h·headDim} (floats). bf16: one native call where the kernel library is loaded
     * ({@link Bf16Native#writeKvSlot}), else {@link #write} per head; both round as {@link Half#floatToBf16}.
     */
    void writeAllHeads(int layer, int slot, OffHeap src, int keyAt, int valueAt) {
        if (layout != null && Bf16Native.available()) {
            long base = src.pointer.address();
            Bf16Native.writeKvSlot(base + 4L * keyAt, base + 4L * valueAt, kvHeads, headDim,
                    keys[layer].pointer.address() + 2 * layout.keyIndex(slot, 0), layout.keyHeadShorts,
                    values[layer].pointer.address() + 2 * layout.valueIndex(slot, 0), layout.valueHeadShorts, 32L * layout.slotPairs);
            return;
        }
        for (int h = 0; h < kvHeads; h++) write(layer, h, slot, src.floats, keyAt + h * headDim, valueAt + h * headDim);
    }

    /**
     * One slot's key in the packed layout from its first pair at short index k0: dims (2p, 2p + 1) are adjacent shorts,
     * so each pair is one int store (little-endian: the lower dim in the low half), pairs 32 shorts apart. Only this
     * slot's shorts are written, so rows writing other slots of the segment may run at the same time.
     */
    private void writeBf16Key(ByteBuffer b, long k0, FloatBuffer src, int at) {
        int i = 0;
        for (; i + 1 < headDim; i += 2) {
            int lo = Half.floatToBf16(src.get(at + i)) & 0xffff, hi = Half.floatToBf16(src.get(at + i + 1)) & 0xffff;
            b.putInt((int) (2 * (k0 + 16L * i)), lo | hi << 16);
        }
        if (i < headDim) b.putShort((int) (2 * (k0 + 16L * i)), Half.floatToBf16(src.get(at + i)));   // odd dim: pad stays 0
    }

    /**
     * One slot's value from its dim 0 at short index v0: within a 16-dim block the dims are 2 shorts apart, blocks
     * {@code slotPairs · 32} apart. Short stores: the other half of each int is the neighbouring slot's.
     */
    private void writeBf16Value(ByteBuffer b, long v0, FloatBuffer src, int at) {
        long block = 32L * layout.slotPairs;
        for (int i0 = 0; i0 < headDim; i0 += 16) {
            int base = (int) (2 * (v0 + (i0 >> 4) * block));
            for (int j = 0, n = Math.min(16, headDim - i0); j < n; j++) b.putShort(base + 4 * j, Half.floatToBf16(src.get(at + i0 + j)));
        }
    }

    float key(int layer, int head, int slot, int i) {
        if (layout == null) return keys[layer].floats.get((int) offset(head, slot) + i);
        return Bf16KvLayout.widen(keys[layer].bytes, keyBase(head) + layout.keyIndex(slot, i));
    }

    float value(int layer, int head, int slot, int i) {
        if (layout == null) return values[layer].floats.get((int) offset(head, slot) + i);
        return Bf16KvLayout.widen(values[layer].bytes, valueBase(head) + layout.valueIndex(slot, i));
    }

    void setKey(int layer, int head, int slot, int i, float v) {
        if (layout == null) keys[layer].floats.put((int) offset(head, slot) + i, v);
        else keys[layer].bytes.putShort((int) (2 * (keyBase(head) + layout.keyIndex(slot, i))), Half.floatToBf16(v));
    }

    void setValue(int layer, int head, int slot, int i, float v) {
        if (layout == null) values[layer].floats.put((int) offset(head, slot) + i, v);
        else values[layer].bytes.putShort((int) (2 * (valueBase(head) + layout.valueIndex(slot, i))), Half.floatToBf16(v));
    }

    /** Copies n slots of every layer and head from src (slots from srcFrom) to this segment's slots from dstFrom. */
    void copyFrom(CpuKvSegment src, int srcFrom, int dstFrom, int n) {
        for (int l = 0; l < keys.length; l++) {
            for (int h = 0; h < kvHeads; h++) {
                if (layout == null && src.layout == null) {
                    keys[l].floats.put((int) offset(h, dstFrom), src.keys[l].floats, (int) src.offset(h, srcFrom), n * headDim);
                    values[l].floats.put((int) offset(h, dstFrom), src.values[l].floats, (int) src.offset(h, srcFrom), n * headDim);
                    continue;
                }
                // a bf16 value widened and rounded again is itself: copies between bf16 segments are exact
                for (int s = 0; s < n; s++) {
                    for (int i = 0; i < headDim; i++) {
                        setKey(l, h, dstFrom + s, i, src.key(l, h, srcFrom + s, i));
                        setValue(l, h, dstFrom + s, i, src.value(l, h, srcFrom + s, i));
                    }
                }
            }
        }
    }

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
