package io.hydragen.spark.plugin;

import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.Engine;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.generate.ProgressListener;

import java.util.List;

/**
 * A task's use of this executor's engine for a model ({@link ExecutorEngines#acquire}): generation calls take the
 * engine's fair, interruptible lock, and {@link #close} releases the engine (an evicted engine is closed when its
 * last user releases it). Close it when the task is done with it (try-with-resources, a reader's close, or a task
 * completion listener).
 */
public final class EngineLease implements AutoCloseable {
    private final EngineCache.Lease<LoadedEngine> lease;

    EngineLease(EngineCache.Lease<LoadedEngine> lease) { this.lease = lease; }

    /**
     * One engine call with this call's batching, after waiting (interruptibly) for the calls ahead of it.
     *
     * @throws java.util.concurrent.CancellationException when the thread is interrupted while waiting
     */
    public GenerationResult generate(List<GenerationRequest> requests, BatchOptions batching) {
        return lease.locked(() -> whileTaskRuns(() -> lease.get().engine().generate(requests, batching, ProgressListener.NONE)));
    }

    /**
     * Streams requests through the engine ({@link Engine#stream}) after waiting (interruptibly) for the calls ahead of
     * it, handing each completion to {@code out} as it finishes. The engine's lock is held, on this thread, until the
     * iterator runs out.
     *
     * @throws java.util.concurrent.CancellationException when the thread is interrupted while waiting or generating
     */
    public io.hydragen.generate.BatchStats stream(java.util.Iterator<GenerationRequest> requests, BatchOptions batching,
                                                  java.util.function.Consumer<io.hydragen.generate.Completion> out) {
        return lease.locked(() -> whileTaskRuns(() -> lease.get().engine().stream(requests, batching, out)));
    }

    /**
     * Opens a continuous stream on the engine ({@link Engine#openStream}) that the caller advances round by round
     * ({@link ContinuousRounds#advance}) on its own thread, so its interrupt cancels the round in progress. The
     * engine's fair, interruptible lock is held from here until the stream is closed (close it on this thread): its
     * rows hold KV between rounds, and a second stream or batch beside them would plan against memory they use, so
     * other tasks wait, as for a batch.
     */
    public ContinuousRounds openStream(java.util.Iterator<GenerationRequest> requests, BatchOptions batching,
                                       java.util.function.Consumer<io.hydragen.generate.Completion> out) {
        AutoCloseable hold = lease.hold();
        io.hydragen.generate.StreamSession session;
        try {
            session = lease.get().engine().openStream(requests, batching, out);
        } catch (RuntimeException | Error e) {
            unlock(hold);
            throw e;
        }
        return new ContinuousRounds() {
            @Override public boolean advance() { return whileTaskRuns(session::advance); }
            @Override public io.hydragen.generate.BatchStats stats() { return session.stats(); }
            @Override public void close() {
                try {
                    session.close();
                } finally {
                    unlock(hold);
                }
            }
        };
    }

    /**
     * Runs an engine call that also stops when Spark marks this thread's task killed, not only when the thread is
     * interrupted: Spark interrupts a killed task's thread only when its job asked for it ({@code interruptOnCancel},
     * off by default), and a library on the task thread may clear the flag; Spark's own iterators check the mark for
     * those reasons. Outside a task the interrupt alone counts.
     */
    private static <T> T whileTaskRuns(java.util.function.Supplier<T> call) {
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        if (task == null) return call.get();
        return io.hydragen.backend.Cancellation.watching(task::isInterrupted, call);
    }

    private static void unlock(AutoCloseable hold) {
        try {
            hold.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Scores candidates ({@link Engine#score}) after waiting (interruptibly) for the calls ahead of it. */
    public io.hydragen.score.Scores score(List<io.hydragen.score.ScoreRequest> requests, BatchOptions batching) {
        return lease.locked(() -> lease.get().engine().score(requests, batching, ProgressListener.NONE));
    }

    public Engine engine() { return lease.get().engine(); }

    public ModelKey key() { return lease.key(); }

    @Override
    public void close() { lease.close(); }
}
