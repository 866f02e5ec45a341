package io.hydragen.backend;

import java.util.Locale;

/**
 * Memory for KV cache, activations or weights could not be allocated (the process or device is out of memory, or a
 * configured limit is reached). A {@link RuntimeException}, never an {@link Error}: what was allocated for the failed
 * request has been freed, the backend stays usable, and a caller can retry with a smaller batch or answer the rows
 * with an error. The CUDA backend reports device memory with its own
 * {@link io.hydragen.backend.cuda.OutOfDeviceMemoryException}; {@link #isAllocationFailure} recognises both.
 */
public class AllocationException extends RuntimeException {
    private final long requestedBytes;

    public AllocationException(String message, long requestedBytes, Throwable cause) {
        super(message, cause);
        this.requestedBytes = requestedBytes;
    }

    /** Bytes the failed allocation asked for (0 when unknown). */
    public long requestedBytes() { return requestedBytes; }

    /** True for a failure to allocate memory on any backend: retrying with less work may succeed. */
    public static boolean isAllocationFailure(Throwable t) {
        return t instanceof AllocationException || t instanceof io.hydragen.backend.cuda.OutOfDeviceMemoryException;
    }

    /** {@code bytes} in the largest binary unit that keeps it above 1: "512 B", "3.2 KiB", "1.0 GiB". */
    public static String formatBytes(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
