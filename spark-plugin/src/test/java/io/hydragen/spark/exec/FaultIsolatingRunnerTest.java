package io.hydragen.spark.exec;

import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.spark.api.GenerateOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** A bad batch is isolated row by row; a cancelled one is rethrown at once. Per-call batching reaches the engine. */
class FaultIsolatingRunnerTest {
    final GenerateOptions options = GenerateOptions.builder("synthetic:tiny").batchSize(8).n(2).minSharedTokens(5)
            .attention("per-sequence").build();
    final List<BatcherRow> rows = List.of(new BatcherRow("a", 1, 0), new BatcherRow("b", 2, 0), new BatcherRow("c", 3, 0));
    final AtomicInteger calls = new AtomicInteger();
    final List<BatchOptions> seen = new ArrayList<>();

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    static GenerationResult ok(List<GenerationRequest> requests) {
        List<Completion> out = new ArrayList<>();
        for (GenerationRequest r : requests) {
            for (int i = 0; i < r.params().n(); i++) {
                out.add(new Completion(r.id(), i, new int[]{1}, "x", new int[]{2}, FinishReason.LENGTH, 0, null));
            }
        }
        return new GenerationResult(out, BatchStats.EMPTY);
    }

    @Test
    void passesThisCallsBatchingToTheEngine() {
        List<List<Completion>> out = new FaultIsolatingRunner((req, b) -> {
            seen.add(b);
            return ok(req);
        }, options).run(rows);
        assertEquals(3, out.size());
        assertEquals(2, out.get(0).size());
        assertEquals(List.of(new BatchOptions(io.hydragen.attention.AttentionMode.PER_SEQUENCE, 5, 16)), seen);
    }

    @Test
    void aFailedBatchIsIsolatedRowByRow() {
        List<List<Completion>> out = new FaultIsolatingRunner((req, b) -> {
            calls.incrementAndGet();
            if (req.size() > 1 || req.get(0).prompt().equals("b")) throw new IllegalStateException("bad row");
            return ok(req);
        }, options).run(rows);
        assertEquals(4, calls.get(), "the batch, then each row alone");
        assertEquals(FinishReason.ERROR, out.get(1).get(0).finishReason());
        assertEquals(FinishReason.LENGTH, out.get(0).get(0).finishReason());
    }

    @Test
    void aCancelledBatchIsRethrownNotRetriedRowByRow() {
        FaultIsolatingRunner runner = new FaultIsolatingRunner((req, b) -> {
            calls.incrementAndGet();
            throw new CancellationException("generation interrupted");
        }, options);
        assertThrows(CancellationException.class, () -> runner.run(rows));
        assertEquals(1, calls.get(), "no retry after a cancellation");
    }

    @Test
    void anyFailureOnAnInterruptedThreadIsRethrownAtOnce() {
        FaultIsolatingRunner runner = new FaultIsolatingRunner((req, b) -> {
            calls.incrementAndGet();
            Thread.currentThread().interrupt();   // e.g. a kill arrived while the batch ran
            throw new IllegalStateException("native call failed");
        }, options);
        assertThrows(IllegalStateException.class, () -> runner.run(rows));
        assertEquals(1, calls.get());
        assertTrue(Thread.interrupted());
    }

    @Test
    void aCancellationWhileIsolatingRowsStopsTheRest() {
        FaultIsolatingRunner runner = new FaultIsolatingRunner((req, b) -> {
            calls.incrementAndGet();
            if (req.size() > 1) throw new IllegalStateException("bad batch");
            throw new CancellationException("cancelled");
        }, options);
        assertThrows(CancellationException.class, () -> runner.run(rows));
        assertEquals(2, calls.get(), "the batch and the first row, not the other rows");
    }
}
