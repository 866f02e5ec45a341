package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.backend.AllocationException;
import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.generate.SamplingParams;
import io.hydragen.model.DType;
import io.hydragen.model.Model;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.ModelException;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.RopeScaling;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Off-heap allocation failures on the CPU backend (JavaCPP's OutOfMemoryError, simulated through
 * {@link OffHeap#simulatedLimitBytes}) become {@link AllocationException}s that free what was allocated; the engine
 * answers with smaller batches or error rows and stays usable; weights that cannot fit are refused before allocating.
 */
class OffHeapAllocationTest {

    @AfterEach
    void noLimit() { OffHeap.simulatedLimitBytes = 0; }

    @Test
    void aBufferBeyondOneViewIsRefusedWithoutAllocating() {
        long before = OffHeap.liveBytes();
        AllocationException e = assertThrows(AllocationException.class, () -> new OffHeap(OffHeap.MAX_FLOATS + 1));
        assertTrue(e.getMessage().contains("2147483648 floats"), e.getMessage());
        assertEquals(4L * (OffHeap.MAX_FLOATS + 1), e.requestedBytes());
        assertEquals(before, OffHeap.liveBytes());
    }

    @Test
    void javacppOutOfMemoryBecomesAnAllocationExceptionAndPartialSegmentsAreFreed() {
        long before = OffHeap.liveBytes();
        OffHeap.simulatedLimitBytes = before + 1000;
        AllocationException e = assertThrows(AllocationException.class, () -> new OffHeap(1000));
        assertInstanceOf(OutOfMemoryError.class, e.getCause());
        assertEquals(4000, e.requestedBytes());
        assertTrue(e.getMessage().startsWith("out of memory allocating 3.9 KiB off the Java heap"), e.getMessage());
        // a KV segment whose third buffer does not fit frees the first two
        long perBuffer = 4L * 2 * 100 * 16;
        OffHeap.simulatedLimitBytes = before + 2 * perBuffer + 10;
        assertThrows(AllocationException.class, () -> new CpuKvSegment(2, 2, 16, 100));
        assertEquals(before, OffHeap.liveBytes(), "nothing stays allocated");
        // a workspace that could not grow allocates afresh once memory is back
        Workspace ws = new Workspace();
        ModelConfig tiny = io.hydragen.model.SyntheticModels.config("tiny");
        OffHeap.simulatedLimitBytes = before + 4000;
        assertThrows(AllocationException.class, () -> ws.ensure(64, tiny));
        assertEquals(before, OffHeap.liveBytes());
        OffHeap.simulatedLimitBytes = 0;
        ws.ensure(16, tiny);
        assertTrue(ws.bytes() > 0 && ws.x != null);
        ws.close();
        assertEquals(before, OffHeap.liveBytes());
    }

    @Test
    void theEngineSplitsOrAnswersWithErrorsWhenOffHeapMemoryRunsOutAndStaysUsable() {
        Model model = ModelLoader.load("synthetic:tiny");
        Engine e = Engine.open(model, EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(4));
        try {
            List<GenerationRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                reqs.add(GenerationRequest.ofText("r" + i, "Tell me about item number " + i + " in the old catalogue, please.",
                        new SamplingParams(20, i % 2 == 0 ? 0 : 0.7, 0, 1, i, List.of(), List.of(), true, 1)));
            }
            GenerationResult expected = e.generate(reqs);   // also grows the workspace to this batch's size
            long kvOfAll = 0;
            for (Completion c : expected.completions()) kvOfAll += (c.promptTokenIds().length + 20L) * e.backend().kvBytesPerToken();
            OffHeap.simulatedLimitBytes = OffHeap.liveBytes() + kvOfAll / 3;
            GenerationResult split = e.generate(reqs);
            for (int i = 0; i < reqs.size(); i++) {
                Completion x = expected.completions().get(i), y = split.completions().get(i);
                assertNull(y.error(), y.error());
                assertArrayEquals(x.tokenIds(), y.tokenIds(), "row " + i + " as without the limit");
            }
            OffHeap.simulatedLimitBytes = OffHeap.liveBytes() + 100;
            GenerationResult failed = e.generate(reqs);
            assertEquals(reqs.size(), failed.completions().size());
            for (Completion c : failed.completions()) {
                assertEquals(FinishReason.ERROR, c.finishReason());
                assertTrue(c.error().startsWith("out of memory allocating"), c.error());
            }
            OffHeap.simulatedLimitBytes = 0;
            GenerationResult again = e.generate(reqs);
            for (int i = 0; i < reqs.size(); i++) assertArrayEquals(expected.completions().get(i).tokenIds(), again.completions().get(i).tokenIds());
        } finally {
            OffHeap.simulatedLimitBytes = 0;
            e.close();
        }
    }

    @Test
    void weightsTheCpuBackendCannotHoldAreRefusedBeforeAllocating() {
        long before = OffHeap.liveBytes();
        ModelConfig hugeVocab = new ModelConfig("llama", 1 << 24, 1024, 2048, 2, 8, 8, 128, 4096, 1e-5, 1e4, RopeScaling.NONE, false, false, DType.BF16);
        ModelException m = assertThrows(ModelException.class, () -> CpuWeights.checkFits(hugeVocab));
        assertEquals("the CPU backend cannot hold the embed_tokens (vocab_size × hidden_size) matrix of 17179869184 floats: at most 2147483647 floats per matrix",
                m.getMessage());
        ModelConfig deep = new ModelConfig("llama", 32000, 8192, 28672, 4096, 64, 8, 128, 8192, 1e-5, 1e4, RopeScaling.NONE, false, false, DType.BF16);
        AllocationException a = assertThrows(AllocationException.class, () -> CpuWeights.checkFits(deep));
        assertTrue(a.getMessage().startsWith("the model's weights need ") && a.getMessage().contains("as float32"), a.getMessage());
        assertEquals(4 * (deep.parameterCount() - deep.hiddenSize() * (2L * deep.numLayers() + 1)), a.requestedBytes(), "float32 matrices");
        assertEquals(before, OffHeap.liveBytes());
    }
}
