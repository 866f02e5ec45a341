package io.hydragen.spark.plugin;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device decision from the task's GPU address, and the CPU-fallback warning, without Spark. */
class PlacementTest {
    @Test
    void ordinalIsTheTasksGpuAddress() {
        assertEquals(new Placement("auto", 1, "1"), Placement.decide("auto", "1"));
        assertEquals(new Placement("auto", 0, "0"), Placement.decide("auto", "0"));
        assertEquals(new Placement("cpu", 0, null), Placement.decide("auto", null), "no GPU assigned: the CPU");
        assertEquals(new Placement("cuda", 3, "3"), Placement.decide("cuda", "3"));
        assertEquals(new Placement("cuda", 0, null), Placement.decide("cuda", null));
        assertEquals("cpu", Placement.decide("cpu", "2").backend(), "backend=cpu ignores the GPU");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Placement.decide("auto", "GPU-5d2c"));
        assertTrue(e.getMessage().contains("discoveryScript"), e.getMessage());
        assertNull(Placement.taskGpuAddress(), "outside a task");
    }

    @Test
    void autoFallsBackToTheCpuWithAWarningSayingWhy() {
        // this machine has no CUDA driver (and CI neither); where one is present the backend would be cuda
        ModelKey key = new ModelKey("synthetic:tiny", "auto", 1);
        String why = io.hydragen.backend.cuda.CudaBackend.unavailableReason(1);
        String backend = ExecutorEngines.effectiveBackend(key, null);
        if (why == null) {
            assertEquals("cuda", backend);
            return;
        }
        assertEquals("cpu", backend);
        String w = ExecutorEngines.fallbackWarning(1, why);
        assertTrue(w.contains("assigned GPU 1") && w.contains(why) && w.contains("running on the CPU backend"), w);
        assertEquals("cpu", ExecutorEngines.effectiveBackend(new ModelKey("m", "cpu", 0), null));
        assertEquals("cuda", ExecutorEngines.effectiveBackend(new ModelKey("m", "cuda", 0), null), "forced cuda is not rewritten");
    }
}
