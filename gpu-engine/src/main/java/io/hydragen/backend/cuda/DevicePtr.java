package io.hydragen.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A device pointer whose raw address can be read: kernels take tables of KV-segment addresses (int64), and
 * JCuda keeps the address of a {@link CUdeviceptr} to itself. cuMemAlloc fills an instance of this subclass
 * like any other CUdeviceptr.
 */
final class DevicePtr extends CUdeviceptr {
    /** The device address, as a kernel sees it. */
    long address() { return getNativePointer() + getByteOffset(); }
}
