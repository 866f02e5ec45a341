package io.hydragen.backend.cuda;

/**
 * Where the host wrappers get their kernels and the device facts their launch shapes depend on: a
 * {@link KernelLibrary} on a real device, or a recording stand-in in tests that check each wrapper's arguments
 * against the parameters its PTX entry declares.
 */
public interface KernelSource {
    /** The kernel {@code entry} of {@code family}. */
    Kernel kernel(String family, String entry);

    /** The device the kernels run on. */
    DeviceInfo info();
}
