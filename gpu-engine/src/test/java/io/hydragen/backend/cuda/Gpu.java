package io.hydragen.backend.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A device and its kernels for a GPU test, or a skipped test where there is none (CI, this project's development
 * machines) — a failed one instead under {@code -Dhydragen.gpu.required=true}, which is how the GPU tests run on the
 * GPU machine. {@code -Dhydragen.gpu.ordinal=N} picks the device.
 */
final class Gpu implements AutoCloseable {
    static final boolean REQUIRED = Boolean.getBoolean("hydragen.gpu.required");
    static final int ORDINAL = Integer.getInteger("hydragen.gpu.ordinal", 0);

    final CudaDevice device;
    final KernelLibrary lib;

    private Gpu(CudaDevice device, KernelLibrary lib) {
        this.device = device;
        this.lib = lib;
    }

    /** Why GPU tests cannot run here, or null. */
    static String unavailable() { return CudaBackend.unavailableReason(ORDINAL); }

    /**
     * Skips the calling test (or fails it, when a GPU is required) unless a device with the packaged kernels is
     * usable. Call it from {@code @BeforeEach} so every GPU test is reported as skipped with the reason.
     */
    static void require() {
        String why = unavailable();
        if (why != null && REQUIRED) fail("a GPU is required (-Dhydragen.gpu.required=true) but: " + why);
        assumeTrue(why == null, "no usable GPU: " + why);
    }

    /** The device and kernels, or null where there is none (tests then skip through {@link #require()}). */
    static Gpu openOrNull() {
        if (unavailable() != null) return null;
        CudaDevice d = CudaDevice.open(ORDINAL);
        try {
            return new Gpu(d, KernelLibrary.load(d));
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    DeviceBuffer buffer(long bytes, String what) { return DeviceBuffer.allocate(device, bytes, what); }

    DeviceBuffer floats(float[] v, String what) {
        DeviceBuffer b = buffer(4L * v.length, what);
        b.upload(v);
        return b;
    }

    DeviceBuffer ints(int[] v, String what) {
        DeviceBuffer b = buffer(4L * v.length, what);
        b.upload(v);
        return b;
    }

    DeviceBuffer bf16(float[] v, String what) {
        DeviceBuffer b = buffer(2L * v.length, what);
        b.upload(io.hydragen.backend.cuda.reference.Bf16.bits(v), 0);
        return b;
    }

    /** A buffer poisoned with NaN, so an element the kernel forgets to write shows. */
    DeviceBuffer poisoned(long floats, String what) {
        DeviceBuffer b = buffer(4 * floats, what);
        b.fill32(0x7fc00000, 0, floats);
        return b;
    }

    float[] readFloats(DeviceBuffer b, int n) {
        float[] out = new float[n];
        b.download(out, 0);
        return out;
    }

    float[] readBf16(DeviceBuffer b, int n) {
        short[] raw = new short[n];
        b.download(raw, 0);
        return io.hydragen.backend.cuda.reference.Bf16.floats(raw);
    }

    @Override
    public void close() {
        lib.close();
        device.close();
    }
}
