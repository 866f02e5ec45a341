package io.hydragen.spark.exec;

import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;

import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.CancellationException;

/**
 * Whether the running generation was cancelled: the task's thread was interrupted (Spark interrupts it when a job
 * is cancelled or a speculative copy is killed), the engine raised its cancellation exception, or Spark marked the
 * task interrupted. A cancelled generation is not a bad batch: it is rethrown at once, never retried row by row.
 */
public final class TaskCancellation {
    private TaskCancellation() {}

    /** True when {@code failure} (or the state of this thread and task) means the work was cancelled. */
    public static boolean isCancellation(Throwable failure) {
        if (Thread.currentThread().isInterrupted() || taskInterrupted()) return true;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CancellationException || t instanceof InterruptedException
                    || t instanceof InterruptedIOException || t instanceof ClosedByInterruptException
                    || t instanceof TaskKilledException) {
                return true;
            }
            if (t.getCause() == t) break;
        }
        return false;
    }

    /**
     * Throws when the task was cancelled: Spark's {@link TaskKilledException} for a task marked interrupted, a
     * {@link CancellationException} for an interrupted thread. Called between batches.
     */
    public static void check() {
        TaskContext tc = TaskContext.get();
        if (tc != null) tc.killTaskIfInterrupted();
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("generation cancelled: the task's thread was interrupted");
        }
    }

    private static boolean taskInterrupted() {
        TaskContext tc = TaskContext.get();
        return tc != null && tc.isInterrupted();
    }
}
