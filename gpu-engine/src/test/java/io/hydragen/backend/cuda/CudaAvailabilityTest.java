package io.hydragen.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Probing for a GPU never throws, and says why there is none; opening one that is not there is a clear error. */
class CudaAvailabilityTest {

    @Test
    void probeNeverThrowsAndExplains() {
        DeviceInfo info = CudaDevice.probe(0);
        assertNotNull(info);
        if (!info.available()) {
            assertFalse(info.reason().isBlank(), "a reason is given");
            assertTrue(info.toString().contains(info.reason()));
        } else {
            assertTrue(info.ccMajor() > 0 && info.multiprocessors() > 0 && info.totalMemory() > 0, info.toString());
        }
    }

    @Test
    void outOfRangeOrdinalIsUnavailable() {
        DeviceInfo info = CudaDevice.probe(1_000);
        assertFalse(info.available());
        assertFalse(info.reason().isBlank());
        CudaException e = assertThrows(CudaException.class, () -> CudaDevice.open(1_000));
        assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
    }

    @Test
    void backendReasonIsNullOnlyWithDeviceAndKernels() {
        String why = CudaBackend.unavailableReason(0);
        boolean device = CudaDevice.probe(0).available();
        boolean kernels = KernelCatalog.problem(KernelCatalog.fromClassPath()) == null;
        assertTrue((why == null) == (device && kernels && CudaDevice.probe(0).ccMajor() >= 8), "reason: " + why);
    }
}
