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
    private final EngineCache.Lease<Engine> lease;

    EngineLease(EngineCache.Lease<Engine> lease) { this.lease = lease; }

    /**
     * One engine call with this call's batching, after waiting (interruptibly) for the calls ahead of it.
     *
     * @throws java.util.concurrent.CancellationException when the thread is interrupted while waiting
     */
    public GenerationResult generate(List<GenerationRequest> requests, BatchOptions batching) {
        return lease.locked(() -> lease.get().generate(requests, batching, ProgressListener.NONE));
    }

    public Engine engine() { return lease.get(); }

    public ModelKey key() { return lease.key(); }

    @Override
    public void close() { lease.close(); }
}
