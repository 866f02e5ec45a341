package io.hydragen.backend.cuda;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The test driver the CUDA end-to-end tests use, checked on the CPU backend against transformers' greedy ids
 * (../shared/models; skipped where absent), so a GPU failure points at the GPU, not at the driver.
 */
class GreedyDriverTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama-bpe,HYDRAGEN", "tiny-llama-sp,HYDRAGEN", "tiny-llama-bpe,PER_SEQUENCE", "tiny-llama-sp,PER_SEQUENCE"})
    void driverReproducesReferenceGreedyIdsOnTheCpu(String name, AttentionMode mode) {
        Path dir = SharedModels.require(name);
        try (Model model = ModelLoader.load(dir.toString()); CpuBackend cpu = new CpuBackend(model, 2)) {
            for (SharedExpectations set : SharedExpectations.read(dir)) {
                GreedyDriver.Run run = GreedyDriver.greedy(cpu, set.inputIds(), 24, mode, 4);
                int compared = 0;
                for (int p = 0; p < set.inputIds().size(); p++) compared += set.check(p, run.ids().get(p), 1e-3, name + " " + mode);
                assertTrue(compared > 10, set.set() + ": too few steps compared (" + compared + ")");
            }
        }
    }
}
