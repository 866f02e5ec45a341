package io.hydragen.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;

import java.nio.ByteBuffer;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;

/**
 * Plain device memory (cuMemAlloc, never managed memory), freed deterministically by {@link #close()}.
 * Copies and fills are queued on the owning device's stream, so they are ordered with the kernels that
 * read and write the buffer; host arrays passed to the copies are consumed before the call returns.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaDevice device;
    private final DevicePtr ptr;
    private final long bytes;
    private final String what;
    private boolean closed;

    private DeviceBuffer(CudaDevice device, DevicePtr ptr, long bytes, String what) {
        this.device = device;
        this.ptr = ptr;
        this.bytes = bytes;
        this.what = what;
    }

    /**
     * @param what names the buffer in the error when it does not fit ("layer 3 gate/up weights")
     * @throws OutOfDeviceMemoryException when the device has no room
     */
    public static DeviceBuffer allocate(CudaDevice device, long bytes, String what) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes + " for " + what);
        long size = Math.max(bytes, 256);  // cuMemAlloc rejects 0; 256 keeps every buffer 16-byte aligned anyway
        DevicePtr p = new DevicePtr();
        int r = cuMemAlloc(p, size);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            long[] mem = device.memoryInfo();
            throw new OutOfDeviceMemoryException(what, size, mem[0], mem[1]);
        }
        CudaException.check(r, "cuMemAlloc(" + size + " bytes for " + what + ")");
        return new DeviceBuffer(device, p, bytes, what);
    }

    /**
     * A buffer object with no device memory behind it (address 0), for tests that exercise host code that only
     * passes buffers along (kernel argument building) on machines without a GPU.
     */
    static DeviceBuffer unallocated(long bytes, String what) { return new DeviceBuffer(null, new DevicePtr(), bytes, what); }

    public CUdeviceptr ptr() {
        ensureOpen();
        return ptr;
    }

    /** The device address of byte {@code byteOffset}, for kernel argument tables. */
    public long address(long byteOffset) {
        ensureOpen();
        return ptr.address() + byteOffset;
    }

    /** A pointer {@code byteOffset} bytes into the buffer (not owning). */
    public CUdeviceptr at(long byteOffset) {
        ensureOpen();
        return ptr.withByteOffset(byteOffset);
    }

    public long bytes() { return bytes; }

    public void upload(float[] src) { upload(Pointer.to(src), 0, 4L * src.length); }

    public void upload(int[] src) { upload(Pointer.to(src), 0, 4L * src.length); }

    public void upload(int[] src, long byteOffset) { upload(Pointer.to(src), byteOffset, 4L * src.length); }

    public void upload(long[] src) { upload(Pointer.to(src), 0, 8L * src.length); }

    public void upload(short[] src, long byteOffset) { upload(Pointer.to(src), byteOffset, 2L * src.length); }

    /** Copies the remaining bytes of a direct buffer (a memory-mapped checkpoint slice) to {@code byteOffset}. */
    public void upload(ByteBuffer src, long byteOffset) {
        if (!src.isDirect()) throw new IllegalArgumentException("upload of a heap ByteBuffer; wrap arrays instead");
        upload(Pointer.to(src.slice()), byteOffset, src.remaining());
    }

    private void upload(Pointer src, long byteOffset, long n) {
        checkRange(byteOffset, n);
        if (n == 0) return;
        CudaException.check(cuMemcpyHtoDAsync(ptr.withByteOffset(byteOffset), src, n, device.stream()), "upload to " + what);
    }

    /** Copies {@code n} bytes from {@code src} at {@code srcByteOffset} to this buffer at {@code byteOffset}, on the device. */
    public void copyFrom(DeviceBuffer src, long srcByteOffset, long byteOffset, long n) {
        checkRange(byteOffset, n);
        src.checkRange(srcByteOffset, n);
        if (n == 0) return;
        CudaException.check(jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync(ptr.withByteOffset(byteOffset), src.ptr.withByteOffset(srcByteOffset), n,
                device.stream()), "copy into " + what);
    }

    /** Copies {@code dst.length} floats from element {@code offset}; waits for the stream first. */
    public void download(float[] dst, long offset) {
        checkRange(4 * offset, 4L * dst.length);
        CudaException.check(cuMemcpyDtoHAsync(Pointer.to(dst), ptr.withByteOffset(4 * offset), 4L * dst.length, device.stream()),
                "download from " + what);
        device.synchronize();
    }

    public void download(int[] dst, long offset) {
        checkRange(4 * offset, 4L * dst.length);
        CudaException.check(cuMemcpyDtoHAsync(Pointer.to(dst), ptr.withByteOffset(4 * offset), 4L * dst.length, device.stream()),
                "download from " + what);
        device.synchronize();
    }

    public void download(short[] dst, long offset) {
        checkRange(2 * offset, 2L * dst.length);
        CudaException.check(cuMemcpyDtoHAsync(Pointer.to(dst), ptr.withByteOffset(2 * offset), 2L * dst.length, device.stream()),
                "download from " + what);
        device.synchronize();
    }

    /** Fills {@code count} 32-bit words from word {@code offset} with {@code bits} (e.g. the bits of -inf or NaN). */
    public void fill32(int bits, long offset, long count) {
        checkRange(4 * offset, 4 * count);
        if (count == 0) return;
        CudaException.check(cuMemsetD32Async(ptr.withByteOffset(4 * offset), bits, count, device.stream()), "fill of " + what);
    }

    public void zero() {
        CudaException.check(cuMemsetD8Async(ptr, (byte) 0, Math.max(bytes, 1), device.stream()), "zeroing " + what);
    }

    private void checkRange(long byteOffset, long n) {
        ensureOpen();
        if (byteOffset < 0 || n < 0 || byteOffset + n > bytes) {
            throw new IndexOutOfBoundsException("bytes [" + byteOffset + ", " + (byteOffset + n) + ") outside " + what + " of " + bytes + " bytes");
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException(what + " was freed");
    }

    public boolean isClosed() { return closed; }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (device == null) return;  // unallocated()
        device.makeCurrent();
        cuMemFree(ptr);
    }
}
