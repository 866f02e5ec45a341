package io.hydragen.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A float array outside the Java heap, so OpenBLAS reads it in place (JavaCPP copies {@code float[]}
 * arguments on every call) and Java code reads it through a {@link FloatBuffer} view.
 */
final class OffHeap implements AutoCloseable {
    final FloatPointer pointer;
    final FloatBuffer floats;
    final ByteBuffer bytes;
    final long length;

    OffHeap(long length) {
        if (length > Integer.MAX_VALUE) throw new IllegalArgumentException("off-heap buffer of " + length + " floats is too large for one view");
        this.length = length;
        this.pointer = new FloatPointer(Math.max(1, length));
        this.bytes = pointer.asByteBuffer().order(ByteOrder.nativeOrder());
        this.floats = bytes.asFloatBuffer();
    }

    static OffHeap of(float[] values) {
        OffHeap b = new OffHeap(values.length);
        b.floats.put(0, values);
        return b;
    }

    /** A pointer to element {@code offset}, for passing a sub-matrix to BLAS. */
    FloatPointer at(long offset) {
        return new FloatPointer(pointer).position(offset);
    }

    float get(int i) { return floats.get(i); }

    void set(int i, float v) { floats.put(i, v); }

    @Override
    public void close() { pointer.close(); }
}
