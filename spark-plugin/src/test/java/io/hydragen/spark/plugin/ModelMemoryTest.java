package io.hydragen.spark.plugin;

import io.hydragen.model.ModelConfig;
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
