package io.hydragen.backend.cuda;

import java.util.HashMap;
import java.util.Map;

/**
 * Scratch buffers of the forward pass (activations, plan tables, partial attention results), each grown on demand
 * to the largest size asked for and reused across passes. Every reallocation bumps {@link #generation()}: a captured
 * CUDA graph holds the old addresses and must be captured again.
 */
final class CudaWorkspace implements AutoCloseable {
    private final CudaDevice device;
    private final Map<String, DeviceBuffer> buffers = new HashMap<>();
    private int generation;

    CudaWorkspace(CudaDevice device) { this.device = device; }

    /** A buffer named {@code name} of at least {@code bytes}, grown by half again when it must grow. */
    DeviceBuffer get(String name, long bytes) {
        DeviceBuffer b = buffers.get(name);
        if (b != null && b.bytes() >= bytes) return b;
        long size = Math.max(bytes, b == null ? 0 : b.bytes() + b.bytes() / 2);
        size = (size + 255) / 256 * 256;
        if (b != null) {
            device.synchronize();  // the old buffer may still be in use by queued work
            b.close();
            buffers.remove(name);
        }
        DeviceBuffer nb;
        try {
            nb = DeviceBuffer.allocate(device, size, "workspace '" + name + "'");
        } catch (OutOfDeviceMemoryException e) {
            if (size == bytes) throw e;
            nb = DeviceBuffer.allocate(device, bytes, "workspace '" + name + "'");  // growth slack did not fit; exact might
        }
        buffers.put(name, nb);
        generation++;
        return nb;
    }

    int generation() { return generation; }

    long totalBytes() {
        long s = 0;
        for (DeviceBuffer b : buffers.values()) s += b.bytes();
        return s;
    }

    @Override
    public void close() {
        for (DeviceBuffer b : buffers.values()) b.close();
        buffers.clear();
    }
}
