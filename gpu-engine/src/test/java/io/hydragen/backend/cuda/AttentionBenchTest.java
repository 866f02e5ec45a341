package io.hydragen.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The benchmark's roofline reproduces the anchor table of ../shared/device/README.md. */
class AttentionBenchTest {

    private static double roofline(int batch, int prefix) {
        return new AttentionBench.Config(batch, prefix, 128, 32, 8, 128).rooflineMs();
    }

    @Test
    void rooflineMatchesTheReadmeAnchors() {
        assertEquals(0.034, roofline(64, 16384), 0.0006);
        assertEquals(0.050, roofline(256, 4096), 0.0006);
        assertEquals(0.088, roofline(256, 16384), 0.0006);
        assertEquals(0.185, roofline(1024, 4096), 0.0006);
        assertEquals(0.351, roofline(1024, 16384), 0.0006);
    }
}
