package io.hydragen.backend.cpu;

/** A weight matrix widened to fp32, row-major, multiplied by OpenBLAS SGEMM. */
record Fp32Matrix(OffHeap data, int rows, int cols) implements WeightMatrix {
    @Override
    public void row(int r, OffHeap dst, int dstOff) { dst.floats.put(dstOff, data.floats, r * cols, cols); }

    @Override
    public long bytes() { return 4L * rows * cols; }

    @Override
    public void close() { data.close(); }
}
