package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import io.hydragen.backend.Backends;
import io.hydragen.backend.SettledOffHeap;
import io.hydragen.backend.cpu.CpuBackend;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A generation whose thread is interrupted (Spark cancelling a task) stops within one forward pass, frees its KV,
 * keeps the interrupt status and throws {@link GenerationCancelledException}; the engine then serves the next call.
 */
class CancellationTest {
    static Model model;

    @BeforeAll
    static void open() { model = ModelLoader.load("synthetic:tiny"); }

    @AfterAll
    static void close() { model.close(); }

    @AfterEach
    void clearInterrupt() { Thread.interrupted(); }

    /**
     * The cancelled batch's KV is freed: exactly, on the backend's own count of KV slots; and nothing else stays
     * allocated off the heap but an engine thread's attention scratch, which a thread allocates once, on its first
     * attention task: a helper thread that a loaded machine kept idle during the warm-up claims its first one in the
     * cancelled batch (seen under load: exactly one scratch more).
     */
    static void assertFreed(long kvBefore, CountingBackend kv, long bytesBefore, int threads) {
        assertEquals(kvBefore, kv.liveTokens, "the cancelled batch's KV must be freed (KV slots)");
        long grown = Pointer.totalBytes() - bytesBefore, scratch = CpuBackend.attentionScratchBytesPerThread(model.config());
        assertTrue(grown == 0 || (grown > 0 && grown % scratch == 0 && grown / scratch < threads),
                "off-heap bytes grew by " + grown + " after the cancelled batch (allowed: whole attention scratches of "
                        + scratch + " bytes, one per helper thread)");
    }

    static List<GenerationRequest> requests(int maxNewTokens) {
        SamplingParams p = new SamplingParams(maxNewTokens, 0, 0, 1, 0, List.of(), List.of(), true, 1);
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 6; i++) reqs.add(GenerationRequest.ofText("r" + i, "A shared instruction for every row. Question " + i + "?", p));
        return reqs;
    }

    static List<String> texts(GenerationResult r) {
        List<String> out = new ArrayList<>();
        for (Completion c : r.completions()) out.add(c.text() + "|" + c.finishReason());
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void interruptDuringDecodeStopsWithinOnePassAndTheEngineServesTheNextCall(int threads) {
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(threads).withMinSharedTokens(8);
        CountingBackend kv = new CountingBackend(Backends.create(model, o));
        try (Engine engine = Engine.open(model, kv, o); Engine fresh = Engine.open(model, o)) {
            List<String> expected = texts(fresh.generate(requests(24)));
            engine.generate(requests(24)); // warm up: the workspace is allocated once and kept
            long before = SettledOffHeap.totalBytes(), kvBefore = kv.liveTokens;
            AtomicLong lastStep = new AtomicLong();
            ProgressListener cancelAtStep5 = (phase, done, total) -> {
                if (!phase.equals("decode")) return;
                lastStep.set(done);
                if (done == 5) Thread.currentThread().interrupt(); // as Spark's cancel would, from another thread
            };
            GenerationCancelledException e = assertThrows(GenerationCancelledException.class,
                    () -> engine.generate(requests(500), cancelAtStep5));
            assertInstanceOf(CancellationException.class, e);
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status must stay set");
            assertEquals(5, lastStep.get(), "no decode step may complete after the interrupt");
            assertFreed(kvBefore, kv, before, threads);

            Thread.interrupted();
            assertEquals(expected, texts(engine.generate(requests(24))), "the engine serves the next call as before");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void alreadyInterruptedCallerIsRefusedAtOnce(int threads) {
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(threads);
        try (Engine engine = Engine.open(model, o)) {
            Thread.currentThread().interrupt();
            assertThrows(GenerationCancelledException.class, () -> engine.generate(requests(4)));
            assertTrue(Thread.currentThread().isInterrupted());
            assertThrows(GenerationCancelledException.class, () -> engine.promptLogits(List.of(new int[] {1, 5, 6})));
            assertTrue(Thread.interrupted());
            assertEquals(6, engine.generate(requests(4)).completions().size());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void interruptFromAnotherThreadDuringPrefillCancels(int threads) throws Exception {
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(threads);
        try (Engine engine = Engine.open(model, o)) {
            SamplingParams p = new SamplingParams(4, 0, 0, 1, 0, List.of(), List.of(), true, 1);
            List<GenerationRequest> longPrompts = new ArrayList<>();
            for (int i = 0; i < 4; i++) longPrompts.add(GenerationRequest.ofText("r" + i, ("row " + i + " ").repeat(500), p));
            Throwable[] thrown = new Throwable[1];
            boolean[] flag = new boolean[1];
            Thread worker = new Thread(() -> {
                try {
                    engine.generate(longPrompts, (phase, done, total) -> {
                        try { Thread.sleep(200); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); }
                    });
                } catch (Throwable t) {
                    thrown[0] = t;
                }
                flag[0] = Thread.currentThread().isInterrupted();
            });
            worker.start();
            Thread.sleep(50);
            worker.interrupt();
            worker.join(60_000);
            assertInstanceOf(GenerationCancelledException.class, thrown[0]);
            assertTrue(flag[0]);
            assertEquals(4, engine.generate(longPrompts).completions().size());
        }
    }

    /**
     * A host's own signal (Spark's killed-task mark, {@link io.hydragen.backend.Cancellation#watching}) stops a
     * generation even when nothing interrupts the thread, or a library cleared the flag: within one pass, KV freed,
     * the thread not interrupted; both schedulers.
     */
    @ParameterizedTest
    @ValueSource(strings = {"static-1", "static-2", "continuous-1", "continuous-2"})
    void aRaisedSignalStopsWithinOnePassWithoutAnInterrupt(String how) {
        int threads = Integer.parseInt(how.substring(how.indexOf('-') + 1));
        Scheduler scheduler = how.startsWith("static") ? Scheduler.STATIC : Scheduler.CONTINUOUS;
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(threads).withMinSharedTokens(8);
        CountingBackend kv = new CountingBackend(Backends.create(model, o));
        try (Engine engine = Engine.open(model, kv, o)) {
            BatchOptions batching = o.batchOptions().withScheduler(scheduler);
            engine.generate(requests(24), batching, ProgressListener.NONE); // warm up
            long before = SettledOffHeap.totalBytes(), kvBefore = kv.liveTokens;
            // the signal is read at every check (between layers, between CPU tasks): raise it after the first few passes
            java.util.concurrent.atomic.AtomicInteger checks = new java.util.concurrent.atomic.AtomicInteger();
            java.util.function.BooleanSupplier killed = () -> checks.incrementAndGet() > 60;
            AtomicLong furthest = new AtomicLong();   // decode steps (static) or finished rows (continuous)
            ProgressListener progress = (phase, done, total) -> { if (phase.equals("decode")) furthest.accumulateAndGet(done, Math::max); };
            assertThrows(GenerationCancelledException.class, () -> io.hydragen.backend.Cancellation.watching(killed,
                    () -> engine.generate(requests(500), batching, progress)));
            assertTrue(!Thread.currentThread().isInterrupted(), "the signal does not interrupt the thread");
            assertTrue(furthest.get() < 50, "the batch stopped early (500 tokens asked): " + furthest.get());
            assertFreed(kvBefore, kv, before, threads);
            assertEquals(6, engine.generate(requests(4), batching, ProgressListener.NONE).completions().size(), "the next call runs");
        }
    }
}
