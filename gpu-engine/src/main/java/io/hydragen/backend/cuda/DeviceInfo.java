package io.hydragen.backend.cuda;

/**
 * What {@link CudaDevice#probe} found: either a usable device (name, compute capability, memory, SM count,
 * shared-memory limit per block when opted in) or the reason there is none.
 */
public record DeviceInfo(boolean available, String reason, int ordinal, String name, int ccMajor, int ccMinor,
                         long totalMemory, int multiprocessors, int maxSharedPerBlockOptin, int driverVersion) {

    static DeviceInfo unavailable(int ordinal, String reason) {
        return new DeviceInfo(false, reason, ordinal, "", 0, 0, 0, 0, 0, 0);
    }

    /** Compute capability as major*10 + minor (90 for Hopper). */
    public int computeCapability() { return ccMajor * 10 + ccMinor; }

    @Override
    public String toString() {
        if (!available) return "no CUDA device " + ordinal + ": " + reason;
        return String.format("cuda:%d %s (sm_%d%d, %d SMs, %.1f GiB, driver %d)", ordinal, name, ccMajor, ccMinor,
                multiprocessors, totalMemory / (1024.0 * 1024 * 1024), driverVersion);
    }
}
