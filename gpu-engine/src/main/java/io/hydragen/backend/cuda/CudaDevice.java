package io.hydragen.backend.cuda;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * One CUDA device through the driver API: its primary context (shared with any other CUDA user in the
 * process) and one non-blocking stream on which all of the engine's work is queued in order.
 *
 * <p>The driver makes a context current per thread; Spark and the engine may call from different threads,
 * so every entry point of the backend calls {@link #makeCurrent()} first.
 */
public final class CudaDevice implements AutoCloseable {
    private final DeviceInfo info;
    private final CUdevice device;
    private final CUcontext context;
    private final CUstream stream;
    private boolean closed;
    private boolean capturing;
    private static String firstLoadFailure;

    private CudaDevice(DeviceInfo info, CUdevice device, CUcontext context, CUstream stream) {
        this.info = info;
        this.device = device;
        this.context = context;
        this.stream = stream;
    }

    /**
     * Whether device {@code ordinal} can be used, and if not why. Never throws: a machine without the
     * driver library (libcuda.so.1), without the JCuda natives for its platform, or without a GPU gets
     * {@code available = false} and the reason.
     */
    public static DeviceInfo probe(int ordinal) {
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int r = cuInit(0);
            if (r != 0) return DeviceInfo.unavailable(ordinal, "cuInit failed: " + CudaException.errorName(r));
            int[] count = {0};
            r = cuDeviceGetCount(count);
            if (r != 0) return DeviceInfo.unavailable(ordinal, "cuDeviceGetCount failed: " + CudaException.errorName(r));
            if (count[0] == 0) return DeviceInfo.unavailable(ordinal, "the driver sees no CUDA device");
            if (ordinal < 0 || ordinal >= count[0]) {
                return DeviceInfo.unavailable(ordinal, "device ordinal " + ordinal + " out of range: " + count[0] + " device(s)");
            }
            CUdevice dev = new CUdevice();
            r = cuDeviceGet(dev, ordinal);
            if (r != 0) return DeviceInfo.unavailable(ordinal, "cuDeviceGet failed: " + CudaException.errorName(r));
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, dev);
            int len = 0;
            while (len < name.length && name[len] != 0) len++;
            long[] mem = {0};
            cuDeviceTotalMem(mem, dev);
            int[] driver = {0};
            cuDriverGetVersion(driver);
            return new DeviceInfo(true, "", ordinal, new String(name, 0, len, StandardCharsets.UTF_8),
                    attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                    attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                    mem[0],
                    attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                    attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
                    driver[0]);
        } catch (LinkageError | RuntimeException e) {
            // UnsatisfiedLinkError: no libcuda.so.1 or no natives for this platform; NoClassDefFoundError on every
            // later try, after the failed static initialiser, so the first cause is kept and repeated.
            synchronized (CudaDevice.class) {
                if (firstLoadFailure == null) {
                    String first = String.valueOf(e).lines().findFirst().orElse(e.getClass().getName());
                    firstLoadFailure = e instanceof UnsatisfiedLinkError
                            ? first + " (the JCuda driver natives need libcuda.so.1 from an NVIDIA driver)" : first;
                }
                return DeviceInfo.unavailable(ordinal, "CUDA driver not usable from Java: " + firstLoadFailure);
            }
        }
    }

    private static int attribute(CUdevice dev, int attr) {
        int[] v = {0};
        CudaException.check(cuDeviceGetAttribute(v, attr, dev), "cuDeviceGetAttribute(" + attr + ")");
        return v[0];
    }

    /** Opens device {@code ordinal}; a {@link CudaException} with the probe's reason when it is not usable. */
    public static CudaDevice open(int ordinal) {
        DeviceInfo info = probe(ordinal);
        if (!info.available()) throw new CudaException("CUDA device " + ordinal + " unavailable: " + info.reason());
        CUdevice dev = new CUdevice();
        CudaException.check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
        CUcontext ctx = new CUcontext();
        CudaException.check(cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain");
        try {
            CudaException.check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            CUstream s = new CUstream();
            CudaException.check(cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            return new CudaDevice(info, dev, ctx, s);
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(dev);
            throw e;
        }
    }

    public DeviceInfo info() { return info; }

    public CUstream stream() { return stream; }

    /** Binds this device's context to the calling thread. */
    public void makeCurrent() {
        if (closed) throw new IllegalStateException("CUDA device " + info.ordinal() + " is closed");
        CudaException.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /** Whether a {@link CudaGraph} is capturing this device's stream (nothing may synchronise meanwhile). */
    boolean capturing() { return capturing; }

    void setCapturing(boolean c) { capturing = c; }

    /** Waits for all work queued on the stream; surfaces asynchronous kernel faults as a {@link CudaException}. */
    public void synchronize() {
        CudaException.check(cuStreamSynchronize(stream), "cuStreamSynchronize (a kernel failed or the device faulted)");
    }

    /** A device attribute (CUdevice_attribute), e.g. the L2 size or the memory clock. */
    public int attribute(int attr) { return attribute(device, attr); }

    /** L2 cache size in bytes. */
    public long l2Bytes() { return attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE); }

    /** Memory bandwidth and bf16 tensor peak derived from this device's attributes ({@link DevicePeaks}). */
    public DevicePeaks peaks() {
        return DevicePeaks.fromAttributes(info.ccMajor(), info.ccMinor(), info.multiprocessors(),
                attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE),
                attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
                attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH));
    }

    /** {free, total} device memory in bytes. */
    public long[] memoryInfo() {
        long[] free = {0}, total = {0};
        CudaException.check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        cuCtxSetCurrent(context);
        cuStreamSynchronize(stream);
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
    }
}
