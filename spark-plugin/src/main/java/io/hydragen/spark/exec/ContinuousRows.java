package io.hydragen.spark.exec;

import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.spark.plugin.ContinuousRounds;
import io.hydragen.spark.plugin.HydragenMetrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The continuous-scheduling path of {@link PartitionGenerator}: the partition's rows are one request stream of the
 * engine's continuous scheduler, read from the input only as the scheduler makes room (its look-ahead: at most
 * the running batch plus {@code LOOKAHEAD_FACTOR} batches of waiting rows), and each row leaves as soon as its last
 * sample finishes. The task's thread drives the engine round by round ({@link ContinuousRounds}) and returns to
 * Spark between rounds whenever a row is ready, so no second thread, queue or lock hand-over is involved: the task's
 * interrupt reaches the round in progress, and memory holds only the rows in flight, whatever the partition's size.
 *
 * <p>Rows: one without a usable prompt (or with a bad setting of its own) is answered with its error at once,
 * without reaching the engine. A row's samples leave together, once all have finished, so a row is never half
 * answered. If a round fails (not a cancellation), the rows in flight are generated again by
 * {@link FaultIsolatingRunner#run}'s rule (together, then one by one: only a row at fault gets an error) and a fresh
 * stream takes the rest of the input: every row is answered exactly once. Tokens are the engine's, which depend on a
 * row's prompt, settings and seed only, so none of this changes a completion. Metrics are recorded every
 * {@code batch_size} rows and at the end.
 *
 * @param <T> the row type
 */
final class ContinuousRows<T> {
    /** Opens an engine stream: the executor's {@link io.hydragen.spark.plugin.EngineLease#openStream}, or a test's stand-in. */
    @FunctionalInterface
    interface Opener {
        ContinuousRounds open(Iterator<GenerationRequest> requests, BatchOptions batching, Consumer<Completion> out);
    }

    /** A row read from the input and sent to the engine, with the samples of it that finished so far. */
    private record InFlight<T>(T input, BatcherRow row, int samples, List<Completion> finished) {}

    private final Iterator<T> input;
    private final Function<T, BatcherRow> batcherRow;
    private final FaultIsolatingRunner runner;
    private final Opener engine;
    private final BatchOptions batching;
    private final int recordEvery;
    private final Map<String, InFlight<T>> inFlight = new LinkedHashMap<>();   // in input order, for the retry
    private final ArrayDeque<PartitionGenerator.Generated<T>> ready = new ArrayDeque<>();
    private ContinuousRounds stream;
    private long nextId;
    // metrics of the rows answered since the last record
    private final List<List<Completion>> answered = new ArrayList<>();
    private BatchStats recordedStats = BatchStats.EMPTY;

    /**
     * @param batcherRow a row's seed and settings, called once per row in input order (duplicate ordinals count on it)
     */
    ContinuousRows(Iterator<T> input, Function<T, BatcherRow> batcherRow, FaultIsolatingRunner runner, Opener engine,
                   BatchOptions batching, int recordEvery) {
        this.input = input;
        this.batcherRow = batcherRow;
        this.runner = runner;
        this.engine = engine;
        this.batching = batching;
        this.recordEvery = Math.max(1, recordEvery);
    }

    /** The next finished sample, running rounds until one is ready; null once every row has been answered. */
    PartitionGenerator.Generated<T> poll() {
        while (ready.isEmpty()) {
            if (stream == null) {
                if (!input.hasNext()) break;
                recordedStats = BatchStats.EMPTY;
                stream = engine.open(requests(), batching, this::finished);
            }
            TaskCancellation.check();   // a killed task whose thread was not interrupted stops here
            boolean more;
            try {
                more = stream.advance();
            } catch (RuntimeException roundFailure) {
                if (TaskCancellation.isCancellation(roundFailure)) throw roundFailure;
                endStream();
                retryInFlight();
                continue;
            }
            if (!more) {
                endStream();
                answerLost();
            }
        }
        if (ready.isEmpty()) {
            record();
            return null;
        }
        return ready.poll();
    }

    /** Frees the engine stream's rows in flight (the task stops early: cancellation, a limit); idempotent. */
    void close() {
        if (stream != null) {
            stream.close();
            stream = null;
        }
    }

    /** The input as engine requests: rows the engine cannot take are answered on the way, without reaching it. */
    private Iterator<GenerationRequest> requests() {
        return new Iterator<>() {
            private GenerationRequest next;

            @Override
            public boolean hasNext() {
                while (next == null && input.hasNext()) next = admit(input.next());
                return next != null;
            }

            @Override
            public GenerationRequest next() {
                if (!hasNext()) throw new NoSuchElementException();
                GenerationRequest r = next;
                next = null;
                return r;
            }
        };
    }

    private GenerationRequest admit(T in) {
        BatcherRow row = batcherRow.apply(in);
        String id = Long.toString(nextId++);
        FaultIsolatingRunner.Prepared p = runner.prepare(id, row);
        if (p.problem() != null) {
            answer(in, row, List.of(Completion.error(null, 0, null, p.problem())));
            return null;
        }
        inFlight.put(id, new InFlight<>(in, row, p.request().params().n(), new ArrayList<>()));
        return p.request();
    }

    /** A sample the engine finished: its row leaves once all its samples have. */
    private void finished(Completion c) {
        InFlight<T> f = inFlight.get(c.requestId());
        if (f == null) return;   // cannot happen: every request the engine sees is in flight
        f.finished().add(c);
        if (f.finished().size() < f.samples()) return;
        inFlight.remove(c.requestId());
        List<Completion> samples = new ArrayList<>(f.finished());
        samples.sort(Comparator.comparingInt(Completion::sampleIndex));
        answer(f.input(), f.row(), samples);
    }

    private void answer(T in, BatcherRow row, List<Completion> samples) {
        for (Completion c : samples) ready.add(new PartitionGenerator.Generated<>(in, c, FaultIsolatingRunner.reachedEngine(c) ? row.seed() : null));
        answered.add(samples);
        if (answered.size() >= recordEvery) record();
    }

    /** The rows in flight when a round failed, generated again (together, then one by one) and answered. */
    private void retryInFlight() {
        List<InFlight<T>> rows = new ArrayList<>(inFlight.values());
        inFlight.clear();
        if (rows.isEmpty()) return;
        List<List<Completion>> out = runner.run(rows.stream().map(InFlight::row).toList());   // records its own metrics
        for (int i = 0; i < rows.size(); i++) {
            for (Completion c : out.get(i)) {
                ready.add(new PartitionGenerator.Generated<>(rows.get(i).input(), c,
                        FaultIsolatingRunner.reachedEngine(c) ? rows.get(i).row().seed() : null));
            }
        }
    }

    /** Rows the engine's stream ended without answering (an engine fault): each gets an error, so none is lost. */
    private void answerLost() {
        List<Map.Entry<String, InFlight<T>>> lost = new ArrayList<>(inFlight.entrySet());
        inFlight.clear();
        for (Map.Entry<String, InFlight<T>> e : lost) {
            answer(e.getValue().input(), e.getValue().row(), List.of(Completion.error(e.getKey(), 0, null, NO_COMPLETION)));
        }
    }

    private static final String NO_COMPLETION = "the engine returned no completion for this row";

    private void endStream() {
        ContinuousRounds s = stream;
        stream = null;
        s.close();
        record(s.stats());
    }

    private void record() { record(stream == null ? recordedStats : stream.stats()); }

    /** Records the rows answered and the engine work done since the last record. */
    private void record(BatchStats total) {
        BatchStats delta = minus(total, recordedStats);
        recordedStats = total;
        if (answered.isEmpty() && delta.equals(BatchStats.EMPTY)) return;
        int errors = 0;
        for (List<Completion> cs : answered) if (cs.get(0).finishReason() == io.hydragen.generate.FinishReason.ERROR) errors++;
        HydragenMetrics.get().record(delta, answered.size(), errors, FaultIsolatingRunner.errorMessages(answered),
                FaultIsolatingRunner.answeredPromptTokens(answered));
        answered.clear();
    }

    private static BatchStats minus(BatchStats a, BatchStats b) {
        return new BatchStats(a.sequences() - b.sequences(), a.promptTokens() - b.promptTokens(), a.prefilledTokens() - b.prefilledTokens(),
                a.sharedPromptTokens() - b.sharedPromptTokens(), a.generatedTokens() - b.generatedTokens(), a.decodeTokens() - b.decodeTokens(),
                a.prefillNanos() - b.prefillNanos(), a.decodeNanos() - b.decodeNanos(), a.decodeSteps() - b.decodeSteps());
    }
}
