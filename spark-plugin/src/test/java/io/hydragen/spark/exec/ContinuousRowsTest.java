package io.hydragen.spark.exec;

import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.Scheduler;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.plugin.ContinuousRounds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ContinuousRows} against a stand-in engine: rows leave as they finish (a row's samples together), the input is
 * read only as the stream makes room, a failed round answers every row once, a cancellation is rethrown.
 */
class ContinuousRowsTest {
    final GenerateOptions options = GenerateOptions.builder("synthetic:tiny").batchSize(8).n(2).scheduler("continuous").build();

    @AfterEach
    void clearInterrupt() { Thread.interrupted(); }

    static Completion done(GenerationRequest r, int i) {
        return new Completion(r.id(), i, new int[]{1}, r.prompt() + i, new int[]{2}, FinishReason.LENGTH, 0, null);
    }

    /**
     * A stand-in continuous engine: up to {@code running} requests at once; each round reads requests into free slots and
     * finishes the newest running one (its samples in reverse order), so rows finish out of input order.
     */
    static final class FakeEngine implements ContinuousStreamOpener {
        final int running;
        int rounds, failAtRound = -1, opened;
        boolean cancelAtFirstRound;

        FakeEngine(int running) { this.running = running; }

        @Override
        public ContinuousRounds open(Iterator<GenerationRequest> requests, io.hydragen.generate.BatchOptions batching,
                                     java.util.function.Consumer<Completion> out) {
            assertEquals(Scheduler.CONTINUOUS, batching.scheduler());
            opened++;
            ArrayDeque<GenerationRequest> live = new ArrayDeque<>();
            return new ContinuousRounds() {
                @Override public boolean advance() {
                    if (cancelAtFirstRound) throw new CancellationException("cancelled");
                    while (live.size() < running && requests.hasNext()) live.push(requests.next());
                    if (++rounds == failAtRound) throw new IllegalStateException("the round broke");
                    if (!live.isEmpty()) {
                        GenerationRequest r = live.pop();
                        for (int i = r.params().n() - 1; i >= 0; i--) out.accept(done(r, i));
                    }
                    return !live.isEmpty() || requests.hasNext();
                }
                @Override public BatchStats stats() { return BatchStats.EMPTY; }
                @Override public void close() { live.clear(); }
            };
        }
    }

    /** Opener as a named type for the stand-in (the production one is EngineLease::openStream). */
    interface ContinuousStreamOpener extends ContinuousRows.Opener {}

    record Out(String prompt, Completion completion, Long seed) {}

    static List<Out> drain(ContinuousRows<String> rows) {
        List<Out> out = new ArrayList<>();
        for (PartitionGenerator.Generated<String> g; (g = rows.poll()) != null; ) out.add(new Out(g.input(), g.completion(), g.seed()));
        return out;
    }

    ContinuousRows<String> rows(Iterator<String> input, FaultIsolatingRunner runner, ContinuousRows.Opener engine) {
        AtomicInteger seed = new AtomicInteger(100);
        return new ContinuousRows<>(input, p -> new BatcherRow(p, seed.getAndIncrement(), 0), runner, engine, options.batchOptions(), 8);
    }

    FaultIsolatingRunner runner(FaultIsolatingRunner.Generator g) {
        return new FaultIsolatingRunner(g, options, io.hydragen.generate.GenerationDefaults.NONE);
    }

    @Test
    void rowsLeaveAsTheyFinishWithTheirSamplesTogetherAndTheInputIsReadAsRoomFreesUp() {
        List<String> prompts = new ArrayList<>(List.of("a", "b", "c", "d", "e", "f"));
        prompts.add(2, null);
        AtomicInteger pulled = new AtomicInteger();
        Iterator<String> src = prompts.iterator();
        Iterator<String> input = new Iterator<>() {
            public boolean hasNext() { return src.hasNext(); }
            public String next() { pulled.incrementAndGet(); return src.next(); }
        };
        ContinuousRows<String> rows = rows(input, runner((r, b) -> fail("no static call")), new FakeEngine(2));
        PartitionGenerator.Generated<String> first = rows.poll();
        assertEquals("b", first.input(), "the newest running row finishes first");
        assertEquals(0, first.completion().sampleIndex());
        assertEquals(2, pulled.get(), "only the two running rows were read when the first left");
        List<Out> out = new ArrayList<>(List.of(new Out(first.input(), first.completion(), first.seed())));
        out.addAll(drain(rows));
        assertEquals(java.util.Arrays.asList("b", "b", null, "c", "c", "d", "d", "e", "e", "f", "f", "a", "a"), out.stream().map(Out::prompt).toList(),
                "finishing order (a stays running while the newer rows pass it), the null row answered when read");
        Out nullRow = out.get(2);
        assertEquals(FinishReason.ERROR, nullRow.completion().finishReason());
        assertNull(nullRow.seed(), "a row that never reached the engine has no seed");
        assertEquals(101L, out.get(0).seed(), "b's seed");
        for (int i = 0; i < out.size(); i += out.get(i).prompt() == null ? 1 : 2) {
            if (out.get(i).prompt() == null) continue;
            assertEquals(out.get(i).prompt(), out.get(i + 1).prompt(), "a row's samples leave together");
            assertEquals(List.of(0, 1), List.of(out.get(i).completion().sampleIndex(), out.get(i + 1).completion().sampleIndex()), "in sample order");
        }
    }

    @Test
    void aFailedRoundRetriesOnlyTheRowsInFlightAndAFreshStreamTakesTheRest() {
        AtomicInteger staticCalls = new AtomicInteger();
        FaultIsolatingRunner runner = runner((req, b) -> {
            staticCalls.incrementAndGet();
            if (req.size() > 1 || req.get(0).prompt().equals("c")) throw new IllegalStateException("bad row c");
            List<Completion> cs = new ArrayList<>();
            for (GenerationRequest r : req) for (int i = 0; i < 2; i++) cs.add(done(r, i));
            return new io.hydragen.generate.GenerationResult(cs, BatchStats.EMPTY);
        });
        FakeEngine engine = new FakeEngine(2);
        engine.failAtRound = 2;   // round 1 reads a and b and answers b; round 2 reads c, then fails with a and c in flight
        List<Out> out = drain(rows(List.of("a", "b", "c", "d", "e").iterator(), runner, engine));
        Map<String, List<Completion>> byRow = new HashMap<>();
        for (Out o : out) byRow.computeIfAbsent(o.prompt(), k -> new ArrayList<>()).add(o.completion());
        assertEquals(List.of("a", "b", "c", "d", "e"), byRow.keySet().stream().sorted().toList());
        for (String p : List.of("a", "b", "d", "e")) {
            assertEquals(2, byRow.get(p).size(), p + " answered once (both samples)");
            byRow.get(p).forEach(c -> assertEquals(FinishReason.LENGTH, c.finishReason(), p));
        }
        assertEquals(1, byRow.get("c").size());
        assertEquals(FinishReason.ERROR, byRow.get("c").get(0).finishReason(), "only the row at fault gets an error");
        assertEquals(1 + 2, staticCalls.get(), "a and c together, then each alone");
        assertEquals(2, engine.opened, "a fresh stream takes d and e");
        assertEquals(List.of("b", "b"), out.subList(0, 2).stream().map(Out::prompt).toList(), "b left before the failure");
    }

    @Test
    void aCancelledRoundIsRethrownNotRetried() {
        AtomicInteger staticCalls = new AtomicInteger();
        FakeEngine engine = new FakeEngine(2);
        engine.cancelAtFirstRound = true;
        ContinuousRows<String> rows = rows(List.of("a", "b").iterator(), runner((req, b) -> {
            staticCalls.incrementAndGet();
            return null;
        }), engine);
        assertThrows(CancellationException.class, rows::poll);
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
