package io.hydragen.backend;

import java.util.concurrent.CancellationException;

/**
 * Cooperative cancellation of a forward pass: backends call {@link #check} between layers (and CPU workers between
 * tasks); the engine turns the {@link CancellationException} into {@code io.hydragen.generate.GenerationCancelledException}.
 */
public final class Cancellation {
    private Cancellation() {}

    /** Throws when the current thread is interrupted, leaving its interrupt status set. */
    public static void check() {
        if (Thread.currentThread().isInterrupted()) throw new CancellationException("interrupted: the forward pass was abandoned");
    }
}
