package io.hydragen.backend.cpu;

import io.hydragen.model.Half;
import io.hydragen.model.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A weight matrix stored as bf16 (half the bytes of fp32), packed for the AVX512_BF16 kernel: blocks of 16 rows, and in
 * a block, for each pair of columns, the 16 rows' two values side by side (element (j, kk) at
 * {@code ((j/16)·kp + kk/2)·32 + (j%16)·2 + kk%2}, kp = ceil(cols/2), zero padded). A checkpoint already in bf16 is
 * copied bit for bit; fp32 and fp16 values are rounded to the nearest bf16.
 */
final class Bf16Matrix implements WeightMatrix {
    private final int rows, cols, kp;
    final OffHeap data;

    Bf16Matrix(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.kp = (cols + 1) / 2;
        long shorts = (long) ((rows + 15) / 16) * kp * 32;
        if (2 * shorts > Integer.MAX_VALUE) throw new io.hydragen.model.ModelException("a bf16 matrix of " + rows + " × " + cols + " is larger than one off-heap buffer");
        this.data = new OffHeap((shorts + 1) / 2);
        data.pointer.zero();   // the padding rows and the odd column must read as zeros
    }

    @Override public int rows() { return rows; }

    @Override public int cols() { return cols; }

    @Override public long bytes() { return 4 * data.length; }

    int index(int j, int kk) { return ((j >> 4) * kp + (kk >> 1)) * 32 + (j & 15) * 2 + (kk & 1); }

    /** Writes tensor t (shape [r × cols]) at rows [rowOffset, rowOffset + r). */
    void put(Tensor t, int rowOffset) {
        ByteBuffer src = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) t.numel();
        for (int i = 0; i < n; i++) {
            short bits = switch (t.dtype()) {
                case BF16 -> src.getShort(2 * i);
                case F16 -> Half.floatToBf16(Half.f16ToFloat(src.getShort(2 * i)));
                case F32 -> Half.floatToBf16(src.getFloat(4 * i));
            };
            set(rowOffset + i / cols, i % cols, bits);
        }
    }

    void set(int j, int kk, short bits) { data.bytes.putShort(2 * index(j, kk), bits); }

    float get(int j, int kk) { return Half.bf16ToFloat(data.bytes.getShort(2 * index(j, kk))); }

    @Override
    public void row(int r, OffHeap dst, int dstOff) {
        for (int kk = 0; kk < cols; kk++) dst.floats.put(dstOff + kk, get(r, kk));
    }

    /** Rows [j0, j1) widened to fp32 into dst as a row-major [(j1 - j0) × cols] panel (the path without the kernel). */
    void widen(int j0, int j1, OffHeap dst) {
        ByteBuffer b = data.bytes;
        for (int j = j0; j < j1; j++) {
            int base = (j >> 4) * kp * 32 + (j & 15) * 2, out = (j - j0) * cols;
            for (int kk = 0; kk < cols; kk++) {
                dst.floats.put(out + kk, Float.intBitsToFloat((b.getShort(2 * (base + (kk >> 1) * 32 + (kk & 1))) & 0xffff) << 16));
            }
        }
    }

    @Override
    public void close() { data.close(); }
}
