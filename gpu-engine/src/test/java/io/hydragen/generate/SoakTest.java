package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.SettledOffHeap;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of small batches in one engine (with and without a KV budget, per-sequence attention, and allocation
 * failures retried in halves or answered with errors) leave JavaCPP's off-heap bytes and the live threads where they
 * were after the first round (which grows the reused workspaces to their size).
 */
class SoakTest {
    static final int ROUNDS = 300;

    private static List<List<GenerationRequest>> shapes() {
        List<List<GenerationRequest>> lists = new ArrayList<>();
        String[] prefixes = {"Summarise the note below in one word. Note: ", "Translate to French, briefly: ", "Q: "};
        for (int k = 0; k < 4; k++) {
            List<GenerationRequest> reqs = new ArrayList<>();
            for (int i = 0; i <= k + 1; i++) {
                String p = prefixes[i % prefixes.length] + "item " + i + " of list " + k;
                SamplingParams sp = i % 2 == 0 ? new SamplingParams(3 + k, 0, 0, 1, 0, List.of(), List.of(), true, 1)
                        : new SamplingParams(4, 0.8, 20, 0.9, 7 + i, List.of(), List.of(), true, 2);
                reqs.add(GenerationRequest.ofText("r" + i, p, sp));
            }
            if (k == 3) reqs.add(GenerationRequest.ofText("too-large", "a prompt whose KV never fits the budget", SamplingParams.GREEDY.withMaxNewTokens(200)));
            lists.add(reqs);
        }
        return lists;
    }

    @Test
    void manySmallBatchesLeaveOffHeapMemoryAndThreadsWhereTheyStarted() {
        Model model = ModelLoader.load("synthetic:tiny");
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(4);
        CountingBackend flaky = new CountingBackend(new CpuBackend(model, 2));
        // every backend counts its live KV, so this test's own segments are checked exactly whatever other tests'
        // garbage the JVM frees meanwhile (JavaCPP's total is global to the JVM)
        List<CountingBackend> backends = List.of(new CountingBackend(new CpuBackend(model, 2)),
                new CountingBackend(new CpuBackend(model, 2)), new CountingBackend(new CpuBackend(model, 2)), flaky);
        List<Engine> engines = List.of(
                Engine.open(model, backends.get(0), o),
                Engine.open(model, backends.get(1), o.withKvBudgetBytes(64 * 512)),
                Engine.open(model, backends.get(2), o.withAttention(AttentionMode.PER_SEQUENCE).withKvBudgetBytes(160 * 512)),
                Engine.open(model, flaky, o));
        try {
            List<List<GenerationRequest>> shapes = shapes();
            int errors = 0, rows = 0;
            long totalBefore = 0, physicalBefore = 0, heapBefore = 0;
            int threadsBefore = 0;
            Set<Thread> threadsAtStart = null;
            for (int round = 0; round < ROUNDS; round++) {
                if (round == shapes.size() * engines.size()) {   // after every engine ran every shape once
                    totalBefore = SettledOffHeap.totalBytes();
                    physicalBefore = Pointer.physicalBytes();
                    heapBefore = committedHeap();
                    threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
                    threadsAtStart = Thread.getAllStackTraces().keySet();
                }
                Engine e = engines.get(round % engines.size());
                List<GenerationRequest> reqs = shapes.get((round / engines.size()) % shapes.size());
                flaky.limitTokens = round % 8 == 3 ? 0 : round % 8 == 7 ? 40 : Long.MAX_VALUE;  // fail everything, or the larger batches
                for (Completion c : e.generate(reqs).completions()) {
                    rows++;
                    if (c.error() != null) errors++;
                }
            }
            long totalAfter = SettledOffHeap.totalBytes();
            assertTrue(errors > 0 && errors < rows, errors + " error rows of " + rows);
            for (CountingBackend b : backends) assertEquals(0, b.liveTokens, "KV tokens still allocated");
            // not equality: other tests' unreachable engines may be freed by the garbage collector meanwhile; and a
            // backend thread that first claims an attention task after the warm-up allocates its scratch then, once
            long firstClaims = (long) backends.size() * 2 * CpuBackend.attentionScratchBytesPerThread(model.config());
            assertTrue(totalAfter <= totalBefore + firstClaims, "JavaCPP off-heap bytes grew over " + ROUNDS + " batches: "
                    + totalBefore + " -> " + totalAfter + " (allowed: " + firstClaims + " of per-thread attention scratch)");
            // resident memory outside the Java heap: the collector may grow the heap meanwhile (more so when a loaded
            // machine slows its pauses), and that is not the engine's memory
            long heapGrown = Math.max(0, committedHeap() - heapBefore);
            long grown = Pointer.physicalBytes() - physicalBefore - heapGrown;
            assertTrue(grown < 256L << 20, "resident memory grew by " + grown + " bytes beyond the heap's " + heapGrown);
            // threads of other tests' engines may end meanwhile; none may be added by these batches
            Set<String> added = new TreeSet<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) if (!threadsAtStart.contains(t)) added.add(t.getName());
            assertEquals(Set.of(), added, "threads started during the batches and still alive");
            assertTrue(ManagementFactory.getThreadMXBean().getThreadCount() <= threadsBefore, "live threads");
        } finally {
            for (Engine e : engines) e.backend().close();
            model.close();
        }
    }

    private static long committedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    }
}
