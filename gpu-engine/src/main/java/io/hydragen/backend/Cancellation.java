package io.hydragen.backend;

import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Cooperative cancellation of a forward pass: backends call {@link #check} between layers (and CPU workers between
 * tasks); the engine turns the {@link CancellationException} into {@code io.hydragen.generate.GenerationCancelledException}.
 *
 * <p>A pass is cancelled when its thread is interrupted, or when the caller's own signal says so ({@link #watching}).
 * The signal is for hosts whose cancellation does not rest on the interrupt flag: Spark marks a killed task in its
 * {@code TaskContext} and interrupts the thread only when the job asked for it ({@code interruptOnCancel}), and a
 * library on the thread may clear the flag; Spark's own iterators check the mark for those reasons.
 */
public final class Cancellation {
    private Cancellation() {}

    private static final ThreadLocal<BooleanSupplier> SIGNAL = new ThreadLocal<>();

    /** Whether the current pass should stop: the thread is interrupted, or the signal of {@link #watching} is raised. */
    public static boolean requested() {
        return Thread.currentThread().isInterrupted() || signalRaised();
    }

    /** Whether the signal of an enclosing {@link #watching} call is raised (false outside one). */
    public static boolean signalRaised() {
        BooleanSupplier s = SIGNAL.get();
        return s != null && s.getAsBoolean();
    }

    /** Throws when {@link #requested}, leaving the thread's interrupt status as it is. */
    public static void check() {
        if (requested()) throw new CancellationException("cancelled: the forward pass was abandoned");
    }

    /** Runs {@code body} on this thread with {@code cancelled} as an extra cancellation signal (nested calls see the innermost). */
    public static <T> T watching(BooleanSupplier cancelled, Supplier<T> body) {
        BooleanSupplier outer = SIGNAL.get();
        SIGNAL.set(cancelled);
        try {
            return body.get();
        } finally {
            if (outer == null) SIGNAL.remove();
            else SIGNAL.set(outer);
        }
    }
}
