package io.hydragen.backend.cuda;

import io.hydragen.backend.KvSegment;

/**
 * KV of one segment on the GPU in bf16: one allocation laid out [layer][K|V][kvHead][capacity][headDim], so the
 * keys of one head in one layer are one contiguous [capacity, headDim] matrix that the tensor-core kernels tile.
 */
final class CudaKvSegment implements KvSegment {
    private final DeviceBuffer buf;
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    private int length;

    private CudaKvSegment(DeviceBuffer buf, int capacity, int kvHeads, int headDim) {
        this.buf = buf;
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    /** Bytes a segment of {@code capacity} tokens takes. */
    static long bytes(int layers, int kvHeads, int headDim, int capacity) {
        return 2L * layers * 2 * kvHeads * (long) capacity * headDim;
    }

    static CudaKvSegment allocate(CudaDevice device, int layers, int kvHeads, int headDim, int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("KV segment capacity must be positive, got " + capacity);
        DeviceBuffer b = DeviceBuffer.allocate(device, bytes(layers, kvHeads, headDim, capacity), "KV cache of " + capacity + " tokens");
        try {
            b.zero();  // slots made visible before they are written read as zeros, never as stale NaNs
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return new CudaKvSegment(b, capacity, kvHeads, headDim);
    }

    /** Elements between consecutive KV heads. */
    long headStride() { return (long) capacity * headDim; }

    /** Elements between consecutive layers (K and V of all heads). */
    long layerStride() { return 2L * kvHeads * capacity * headDim; }

    /** Where the kernels find this segment now. */
    SegmentRef ref() {
        return new SegmentRef(buf.address(0), buf.address(2L * kvHeads * headStride()), capacity, length, headStride(), layerStride());
    }

    /** Device addresses of K and V of layer 0, head 0 at {@code slot} (the rope kernel's destination table). */
    long keyAddress(int slot) { return buf.address(2L * slot * headDim); }

    long valueAddress(int slot) { return buf.address(2L * (kvHeads * headStride() + (long) slot * headDim)); }

    DeviceBuffer buffer() { return buf; }

    /** Copies n slots of every layer, K and V, head by head (bf16) from {@code src}. */
    void copyFrom(CudaKvSegment src, int srcFrom, int dstFrom, int n, int layers) {
        for (int l = 0; l < layers; l++) {
            for (int kv = 0; kv < 2; kv++) {
                for (int h = 0; h < kvHeads; h++) {
                    long srcEl = l * src.layerStride() + (kv * kvHeads + h) * src.headStride() + (long) srcFrom * headDim;
                    long dstEl = l * layerStride() + (kv * kvHeads + h) * headStride() + (long) dstFrom * headDim;
                    buf.copyFrom(src.buf, 2 * srcEl, 2 * dstEl, 2L * n * headDim);
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

    @Override public void close() { buf.close(); }
}
