package io.hydragen.backend.cuda;

/**
 * A device allocation that does not fit: names what was being allocated, its size and what the device had
 * free, so a caller can shrink the batch (or the user the model) instead of seeing a crash.
 */
public final class OutOfDeviceMemoryException extends CudaException {
    private final long requested;
    private final long free;

    public OutOfDeviceMemoryException(String what, long requested, long free, long total) {
        super(String.format("out of GPU memory allocating %s: %s requested, %s free of %s",
                what, mib(requested), mib(free), mib(total)));
        this.requested = requested;
        this.free = free;
    }

    public long requestedBytes() { return requested; }

    public long freeBytes() { return free; }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
