package io.hydragen.backend.cuda;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On the CPU: CUDA error messages name the last kernel launched; bench peaks and L2 rotation from device numbers. */
class CudaDiagnosticsTest {
    @AfterEach
    void reset() { LastLaunch.clear(); }

    @Test
    void everyCudaErrorNamesTheLastKernelLaunched() {
        assertEquals("cuMemcpyDtoH failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)",
                CudaException.message("cuMemcpyDtoH", "CUDA_ERROR_ILLEGAL_ADDRESS (700)", null), "nothing launched yet");
        String launch = Kernel.describe("decode_attention_d128", 2048, 8, 1, 128, 33280);
        assertEquals("decode_attention_d128 (grid 2048x8x1, block 128, smem 33280)", launch);
        LastLaunch.record(launch);
        // an asynchronous fault surfaces at the next driver call, which the message names along with the kernel
        String m = new CudaException("cuStreamSynchronize", 700).getMessage();
        assertTrue(m.startsWith("cuStreamSynchronize failed: "), m);
        assertTrue(m.contains("; last kernel launched: decode_attention_d128 (grid 2048x8x1, block 128, smem 33280)"), m);
        if (!Kernel.SYNC_EACH) assertTrue(m.contains("-Dhydragen.cuda.debug=true"), m);
        assertEquals(700, new CudaException("x", 700).code());
        // a failed launch already names its kernel: not twice
        String l = new CudaException("launch of " + launch, 1).getMessage();
        assertEquals(1, l.split("decode_attention_d128", -1).length - 1, l);
        LastLaunch.record(Kernel.describe("merge_attention", 256, 1, 1, 128, 0));
        assertTrue(new CudaException("cuMemFree", 700).getMessage().contains("last kernel launched: merge_attention"));
    }

    @Test
    void debugTurnsGraphsOffAndSynchronises() {
        // read once at class load; without the property both follow their own settings
        if (Kernel.DEBUG) {
            assertTrue(Kernel.SYNC_EACH);
            assertFalse(CudaBackend.GRAPHS_BY_DEFAULT);
        } else {
            assertEquals(Boolean.getBoolean("hydragen.cuda.syncEachLaunch"), Kernel.SYNC_EACH);
        }
    }

    @Test
    void peaksFromDeviceAttributes() {
        // H100 SXM: 132 SMs at 1980 MHz, HBM3 at 2619 MHz on 5120 bits
        DevicePeaks h100 = DevicePeaks.fromAttributes(9, 0, 132, 1_980_000, 2_619_000, 5120);
        assertEquals(3.35e12, h100.bandwidth(), 0.01e12);
        assertEquals(1070e12, h100.tensorFlops(), 5e12);
        assertTrue(h100.source().contains("from device attributes"), h100.source());
        // A100: 108 SMs at 1410 MHz: 312 TFLOP/s dense bf16
        assertEquals(312e12, DevicePeaks.fromAttributes(8, 0, 108, 1_410_000, 1_215_000, 5120).tensorFlops(), 1e12);
        DevicePeaks readme = DevicePeaks.readmeH100();
        AttentionBench.Config c = new AttentionBench.Config(256, 16384, 128, 32, 8, 128);
        assertEquals(c.rooflineMs(), readme.rooflineMs(c.bytes(), c.flops()), 1e-12);
    }

    @Test
    void gemmBenchRotatesMoreThanTwiceTheL2() {
        long l2 = 50L << 20;  // H100
        for (long w : new long[] {2L * 4096 * 4096, 2L * 14336 * 4096, 1L << 20, 200L << 20}) {
            int sets = GemmBench.weightSets(w, l2);
            assertTrue(sets * w > 2 * l2, sets + " sets of " + w);
            assertTrue(sets >= 2);
        }
        assertEquals(4, GemmBench.weightSets(2L * 4096 * 4096, l2), "32 MiB weights: 4 sets = 128 MiB > 100 MiB");
    }
}
