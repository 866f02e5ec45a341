package io.hydragen.backend.cuda;

/**
 * Where one KV segment lives on the device, as the attention kernels address it: keys of layer l, KV head h,
 * token t at element {@code kAddr/2 + l*layerStride + h*headStride + t*headDim} (bf16), values likewise from
 * {@code vAddr}.
 *
 * @param length tokens written so far
 */
public record SegmentRef(long kAddr, long vAddr, int capacity, int length, long headStride, long layerStride) {
    public SegmentRef {
        if (length < 0 || length > capacity) throw new IllegalArgumentException("segment length " + length + " outside [0, " + capacity + "]");
    }
}
