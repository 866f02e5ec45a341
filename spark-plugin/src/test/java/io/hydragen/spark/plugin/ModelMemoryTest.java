package io.hydragen.spark.plugin;

import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.model.Model;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.ModelLoader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Weight estimates from a model's config, and the refusal when they do not fit. */
class ModelMemoryTest {

    @Test
    void estimatesWeightsFromTheConfig() {
        ModelConfig llama1b = ModelMemory.config("synthetic:llama-1b");
        long params = ModelMemory.parameters(llama1b);
        assertTrue(params > 1_150_000_000L && params < 1_300_000_000L, "Llama 3.2 1B has ~1.24B parameters, got " + params);
        assertEquals(params * 4, ModelMemory.cpuWeightBytes(llama1b));
        assertTrue(ModelMemory.cpuWeightBytes(ModelMemory.config("synthetic:tiny")) < 4_000_000);
        assertNull(ModelMemory.config("/no/such/model"), "unreadable configs leave the verdict to the engine's load");
        assertTrue(ModelMemory.availableBytes() > 0);
    }

    /**
     * The estimate against what a CPU backend actually allocates for the same config (its weight matrices, plus the
     * norms as float32), in both weight dtypes: bf16 matrices take 2 bytes a parameter (the old estimate counted 4 for
     * every dtype, twice the bf16 allocation). Bf16Matrix pads rows to 16 and columns to even, hence the 3% slack.
     */
    @Test
    void estimateFollowsTheWeightDtype() {
        ModelConfig tiny = ModelMemory.config("synthetic:tiny");
        long norms = (tiny.numLayers() * 2L + 1) * tiny.hiddenSize() * Float.BYTES;
        for (CpuDtype dtype : CpuDtype.values()) {
            try (Model m = ModelLoader.load("synthetic:tiny"); CpuBackend cpu = new CpuBackend(m, 1, dtype)) {
                long allocated = cpu.weightBytes() + norms, estimate = ModelMemory.cpuWeightBytes(tiny, dtype);
                assertEquals(allocated, estimate, 0.03 * allocated, dtype + ": estimate " + estimate + ", allocated " + allocated);
            }
        }
        ModelConfig llama1b = ModelMemory.config("synthetic:llama-1b");
        long bf16 = ModelMemory.cpuWeightBytes(llama1b, CpuDtype.BF16), fp32 = ModelMemory.cpuWeightBytes(llama1b, CpuDtype.FP32);
        assertEquals(0.5, (double) bf16 / fp32, 1e-4, "bf16 weights: half the fp32 bytes (the norms stay fp32)");
    }

    @Test
    void refusesAModelThatDoesNotFitWithAClearMessage() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ModelMemory.check("hdfs:///models/big", 40L << 30, 3L << 30, "loaded: []"));
        assertTrue(e.getMessage().contains("hdfs:///models/big") && e.getMessage().contains("40.00 GiB")
                && e.getMessage().contains("3.00 GiB") && e.getMessage().contains("spark.hydragen.maxModelsPerExecutor"),
                e.getMessage());
        ModelMemory.check("small", 1L << 20, 3L << 30, "loaded: []");
    }
}
