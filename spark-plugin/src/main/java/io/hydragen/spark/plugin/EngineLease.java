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
        return lease.locked(() -> lease.get().engine().generate(requests, batching, ProgressListener.NONE));
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
        return lease.locked(() -> lease.get().engine().stream(requests, batching, out));
    }

    /**
     * Opens a continuous stream on the engine ({@link Engine#openStream}) that the caller advances round by round
     * ({@link ContinuousRounds#advance}), each round taking the engine's fair, interruptible lock: tasks sharing this
     * executor's engine take turns by rounds (one forward pass each), and the task's own thread runs its rounds, so
     * its interrupt cancels the round in progress.
     */
    public ContinuousRounds openStream(java.util.Iterator<GenerationRequest> requests, BatchOptions batching,
                                       java.util.function.Consumer<io.hydragen.generate.Completion> out) {
        io.hydragen.generate.StreamSession session = lease.locked(() -> lease.get().engine().openStream(requests, batching, out));
        return new ContinuousRounds() {
            @Override public boolean advance() { return lease.locked(session::advance); }
            @Override public io.hydragen.generate.BatchStats stats() { return session.stats(); }
            @Override public void close() { session.close(); }
        };
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
