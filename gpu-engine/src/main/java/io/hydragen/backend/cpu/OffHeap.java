package io.hydragen.backend.cpu;

import io.hydragen.backend.AllocationException;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A float array outside the Java heap, so OpenBLAS reads it in place (JavaCPP copies {@code float[]}
 * arguments on every call) and Java code reads it through a {@link FloatBuffer} view.
 *
 * <p>Allocation never fails with an {@link Error}: JavaCPP's {@code OutOfMemoryError} (its
 * {@code org.bytedeco.javacpp.maxBytes} limit, or the system out of memory) and a size beyond one buffer view
 * (2<sup>31</sup>-1 floats) become an {@link AllocationException} naming the bytes requested.
 */
final class OffHeap implements AutoCloseable {
    /** Most floats one buffer may hold: a {@link FloatBuffer} view is indexed by int. */
    static final long MAX_FLOATS = Integer.MAX_VALUE;

    /**
     * Test hook: when positive, an allocation that would take {@link #liveBytes} above this many bytes fails as if
     * the system were out of memory. 0 (always, outside tests) = no simulated limit. Not JavaCPP's
     * {@link Pointer#totalBytes()}: that also drops whenever the garbage collector frees another buffer of the JVM, so
     * a limit set relative to it moved under a test (by chance: when the collector runs depends on the load).
     */
    static volatile long simulatedLimitBytes;

    /** Bytes of the buffers of this class allocated and not yet closed; only allocations and closes move it. */
    private static final AtomicLong LIVE_BYTES = new AtomicLong();

    final FloatPointer pointer;
    final FloatBuffer floats;
    final ByteBuffer bytes;
    final long length;
    private final long allocatedBytes;
    private boolean closed;

    OffHeap(long length) {
        if (length < 0 || length > MAX_FLOATS) {
            throw new AllocationException("off-heap buffer of " + length + " floats (" + AllocationException.formatBytes(4 * Math.max(0, length))
                    + ") is larger than one buffer may be (" + MAX_FLOATS + " floats)", 4 * Math.max(0, length), null);
        }
        this.length = length;
        long bytesWanted = 4 * Math.max(1, length);
        FloatPointer p = null;
        try {
            long limit = simulatedLimitBytes;
            if (limit > 0 && LIVE_BYTES.get() + bytesWanted > limit) {
                throw new OutOfMemoryError("simulated: " + LIVE_BYTES.get() + " + " + bytesWanted + " bytes exceeds the test limit of " + limit);
            }
            p = new FloatPointer(Math.max(1, length));
            this.bytes = p.asByteBuffer().order(ByteOrder.nativeOrder());
            this.floats = bytes.asFloatBuffer();
        } catch (OutOfMemoryError e) {
            if (p != null) p.close();
            throw new AllocationException("out of memory allocating " + AllocationException.formatBytes(bytesWanted) + " off the Java heap ("
                    + AllocationException.formatBytes(Pointer.totalBytes()) + " already allocated, limit "
                    + (Pointer.maxBytes() > 0 ? AllocationException.formatBytes(Pointer.maxBytes()) : "none")
                    + ", see -Dorg.bytedeco.javacpp.maxBytes): " + e.getMessage(), bytesWanted, e);
        }
        this.pointer = p;
        this.allocatedBytes = bytesWanted;
        LIVE_BYTES.addAndGet(bytesWanted);
    }

    /** Bytes of the buffers of this class allocated and not yet closed (one dropped unclosed stays counted). */
    static long liveBytes() { return LIVE_BYTES.get(); }

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
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LIVE_BYTES.addAndGet(-allocatedBytes);
        }
        pointer.close();
    }
}
