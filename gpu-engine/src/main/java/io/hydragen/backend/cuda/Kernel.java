package io.hydragen.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;

import java.util.ArrayList;
import java.util.List;

import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor;

/** One kernel function of a loaded module, launched on its device's stream. */
public class Kernel {
    /**
     * Debug mode ({@code -Dhydragen.cuda.debug=true}): CUDA graphs off and a synchronisation after every launch, so
     * the kernel that faults is the one named. {@code -Dhydragen.cuda.syncEachLaunch=true} synchronises only.
     */
    public static final boolean DEBUG = Boolean.getBoolean("hydragen.cuda.debug");
    /** Launch-by-launch synchronisation, so a faulting kernel is named (debugging on the GPU machine). */
    static final boolean SYNC_EACH = DEBUG || Boolean.getBoolean("hydragen.cuda.syncEachLaunch");
    private static final int DEFAULT_SMEM_LIMIT = 48 * 1024;

    private final CudaDevice device;
    private final CUfunction function;
    private final String name;
    private int smemOptIn = DEFAULT_SMEM_LIMIT;

    /** A kernel of a loaded module; tests subclass it to record launches instead. */
    protected Kernel(CudaDevice device, CUfunction function, String name) {
        this.device = device;
        this.function = function;
        this.name = name;
    }

    public String name() { return name; }

    /** Launches with {@code args} (built by {@link #args()}) on grid x block, with dynamic shared memory. */
    public void launch(int gx, int gy, int gz, int bx, int smemBytes, Args args) {
        if (gx == 0 || gy == 0 || gz == 0) return;
        if (gx < 0 || gy < 0 || gz < 0 || gy > 65535 || gz > 65535) {
            throw new IllegalArgumentException(name + ": bad grid " + gx + "x" + gy + "x" + gz);
        }
        ensureSharedMemory(smemBytes);
        String what = describe(name, gx, gy, gz, bx, smemBytes);
        LastLaunch.record(what);
        CudaException.check(cuLaunchKernel(function, gx, gy, gz, bx, 1, 1, smemBytes, device.stream(), args.pointer(), null),
                "launch of " + what);
        if (SYNC_EACH && !device.capturing()) {
            try {
                device.synchronize();
            } catch (CudaException e) {
                throw new CudaException(e.code(), "kernel " + what + " failed (synchronised after its launch): " + e.getMessage());
            }
        }
    }

    /** How a launch is named in error messages: "gemm_bf16_64x128 (grid 12x1x1, block 128, smem 0)". */
    static String describe(String name, int gx, int gy, int gz, int bx, int smemBytes) {
        return name + " (grid " + gx + "x" + gy + "x" + gz + ", block " + bx + ", smem " + smemBytes + ")";
    }

    /**
     * Blocks of this kernel resident on one SM at {@code blockSize} threads and {@code smemBytes} of dynamic shared
     * memory (cuOccupancyMaxActiveBlocksPerMultiprocessor, after opting in to that much shared memory); at least 1.
     */
    public int residentBlocksPerSm(int blockSize, int smemBytes) {
        ensureSharedMemory(smemBytes);
        int[] n = {0};
        CudaException.check(cuOccupancyMaxActiveBlocksPerMultiprocessor(n, function, blockSize, smemBytes),
                "cuOccupancyMaxActiveBlocksPerMultiprocessor(" + name + ")");
        return Math.max(1, n[0]);
    }

    /** Blocks may use more than 48 KB of dynamic shared memory only after opting in per function. */
    private void ensureSharedMemory(int bytes) {
        if (bytes <= smemOptIn) return;
        int max = device.info().maxSharedPerBlockOptin();
        if (bytes > max) {
            throw new CudaException(name + " needs " + bytes + " bytes of shared memory per block; the device allows " + max);
        }
        CudaException.check(cuFuncSetAttribute(function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                "cuFuncSetAttribute(" + name + ", max dynamic shared memory " + bytes + ")");
        smemOptIn = bytes;
    }

    public static Args args() { return new Args(); }

    /** Kernel parameters in declaration order, each boxed the way cuLaunchKernel wants it. */
    public static final class Args {
        private final List<Pointer> params = new ArrayList<>();
        private final StringBuilder kinds = new StringBuilder();

        private Args add(Pointer p, char kind) {
            params.add(p);
            kinds.append(kind);
            return this;
        }

        public Args ptr(DeviceBuffer b) { return add(Pointer.to(b.ptr()), 'p'); }

        public Args ptr(CUdeviceptr p) { return add(Pointer.to(p), 'p'); }

        /** A null device pointer (optional inputs such as a missing bias). */
        public Args nullPtr() { return add(Pointer.to(new CUdeviceptr()), 'p'); }

        public Args ptrOrNull(DeviceBuffer b) { return b == null ? nullPtr() : ptr(b); }

        public Args i32(int v) { return add(Pointer.to(new int[] {v}), 'i'); }

        public Args i64(long v) { return add(Pointer.to(new long[] {v}), 'l'); }

        public Args f32(float v) { return add(Pointer.to(new float[] {v}), 'f'); }

        public int size() { return params.size(); }

        /** One letter per parameter: p pointer, i int32, l int64, f float32 (checked against the PTX in tests). */
        public String kinds() { return kinds.toString(); }

        Pointer pointer() { return Pointer.to(params.toArray(new Pointer[0])); }
    }
}
