package io.hydragen.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Re-encodes a tensor's elements in another dtype, streaming (no float[] of the whole tensor on the heap). */
public final class DTypeConverter {
    private DTypeConverter() {}

    /** The tensor's bytes in {@code target}, little-endian; the tensor's own buffer when the dtype already matches. */
    public static ByteBuffer convert(Tensor t, DType target) {
        ByteBuffer src = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (t.dtype() == target) return src;
        long n = t.numel();
        long bytes = n * target.bytes();
        if (bytes > Integer.MAX_VALUE) throw new ModelException("tensor " + t.name() + " is too large to convert in one buffer (" + bytes + " bytes)");
        ByteBuffer out = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = switch (t.dtype()) {
                case F32 -> src.getFloat(4 * i);
                case F16 -> Half.f16ToFloat(src.getShort(2 * i));
                case BF16 -> Half.bf16ToFloat(src.getShort(2 * i));
            };
            switch (target) {
                case F32 -> out.putFloat(4 * i, v);
                case F16 -> out.putShort(2 * i, Half.floatToF16(v));
                case BF16 -> out.putShort(2 * i, Half.floatToBf16(v));
            }
        }
        return out;
    }
}
