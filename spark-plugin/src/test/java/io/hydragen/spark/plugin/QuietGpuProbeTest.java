package io.hydragen.spark.plugin;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** DJL's GPU probe warning is silenced on executors without a GPU. */
class QuietGpuProbeTest {
    @Test
    void theProbeLoggerIsSetToError() {
        HydragenExecutorPlugin.quietGpuProbe();
        assertEquals(Level.ERROR, LogManager.getLogger("ai.djl.util.cuda.CudaUtils").getLevel());
    }
}
