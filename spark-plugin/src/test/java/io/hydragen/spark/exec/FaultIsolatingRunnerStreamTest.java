package io.hydragen.spark.exec;

import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.Scheduler;
import io.hydragen.spark.api.GenerateOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** {@link FaultIsolatingRunner#stream}: finishing order kept, a failed stream answers every row once, cancellation rethrown. */
class FaultIsolatingRunnerStreamTest {
    final GenerateOptions options = GenerateOptions.builder("synthetic:tiny").batchSize(8).n(2).scheduler("continuous").build();
    final List<BatcherRow> rows = List.of(new BatcherRow("a", 1, 0), new BatcherRow(null, 2, 0), new BatcherRow("b", 3, 0),
            new BatcherRow("c", 4, 0));

    @AfterEach
    void clearInterrupt() { Thread.interrupted(); }

    static Completion done(GenerationRequest r, int i) {
        return new Completion(r.id(), i, new int[]{1}, r.prompt() + i, new int[]{2}, FinishReason.LENGTH, 0, null);
    }

    @Test
    void theContinuousSchedulerReachesTheEngineAndSamplesComeInFinishingOrder() {
        List<FaultIsolatingRunner.Finished> out = new FaultIsolatingRunner((req, b) -> fail("no static call"), (it, b, sink) -> {
            assertEquals(Scheduler.CONTINUOUS, b.scheduler());
            List<GenerationRequest> all = new ArrayList<>();
            it.forEachRemaining(all::add);
            for (int i = all.size() - 1; i >= 0; i--) { sink.accept(done(all.get(i), 1)); sink.accept(done(all.get(i), 0)); }
            return BatchStats.EMPTY;
        }, options, io.hydragen.generate.GenerationDefaults.NONE).stream(rows);
        assertEquals(7, out.size());
        assertEquals(1, out.get(0).row());
        assertEquals(FinishReason.ERROR, out.get(0).completion().finishReason(), "the null prompt never reaches the engine");
        assertEquals(List.of(3, 3, 2, 2, 0, 0), out.subList(1, 7).stream().map(FaultIsolatingRunner.Finished::row).toList());
    }

    @Test
    void aFailedStreamKeepsWhatFinishedAndIsolatesTheRestRowByRow() {
        AtomicInteger staticCalls = new AtomicInteger();
        List<FaultIsolatingRunner.Finished> out = new FaultIsolatingRunner((req, b) -> {
            staticCalls.incrementAndGet();
            if (req.size() > 1 || req.get(0).prompt().equals("c")) throw new IllegalStateException("bad row c");
            List<Completion> cs = new ArrayList<>();
            for (GenerationRequest r : req) for (int i = 0; i < 2; i++) cs.add(done(r, i));
            return new io.hydragen.generate.GenerationResult(cs, BatchStats.EMPTY);
        }, (it, b, sink) -> {
            GenerationRequest first = it.next();
            sink.accept(done(first, 0));
            sink.accept(done(first, 1));          // row a wholly out
            GenerationRequest second = it.next();
            sink.accept(done(second, 1));         // row b half out
            throw new IllegalStateException("the stream broke");
        }, options, io.hydragen.generate.GenerationDefaults.NONE).stream(rows);
        Map<Integer, List<Completion>> byRow = new HashMap<>();
        for (FaultIsolatingRunner.Finished f : out) byRow.computeIfAbsent(f.row(), k -> new ArrayList<>()).add(f.completion());
        assertEquals(2, byRow.get(0).size(), "row a answered once, by the stream");
        assertEquals(2, byRow.get(2).size(), "row b's partial sample dropped, both samples from the retry");
        assertEquals(1, byRow.get(3).size());
        assertEquals(FinishReason.ERROR, byRow.get(3).get(0).finishReason(), "only the row at fault gets an error");
        assertEquals(FinishReason.ERROR, byRow.get(1).get(0).finishReason());
        assertEquals(1 + 2, staticCalls.get(), "the unfinished rows as a batch, then one by one");
    }

    @Test
    void aCancelledStreamIsRethrownNotRetried() {
        AtomicInteger staticCalls = new AtomicInteger();
        assertThrows(CancellationException.class, () -> new FaultIsolatingRunner((req, b) -> {
            staticCalls.incrementAndGet();
            return null;
        }, (it, b, sink) -> { throw new CancellationException("cancelled"); }, options,
                io.hydragen.generate.GenerationDefaults.NONE).stream(rows));
        assertEquals(0, staticCalls.get());
    }

    @Test
    void theSchedulerOptionDefaultsToTheEnginesAndIsParsedFromStrings() {
        assertEquals(Scheduler.DEFAULT, GenerateOptions.builder("synthetic:tiny").build().batchOptions().scheduler());
        assertEquals(Scheduler.DEFAULT, GenerateOptions.fromMap(Map.of(), "synthetic:tiny").batchOptions().scheduler());
        GenerateOptions c = GenerateOptions.fromMap(Map.of("scheduler", "Continuous"), "synthetic:tiny");
        assertTrue(c.continuous());
        assertEquals(Scheduler.CONTINUOUS, c.batchOptions().scheduler());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("scheduler", "eager"), "synthetic:tiny"));
        assertTrue(e.getMessage().contains("static, continuous"), e.getMessage());
    }
}
