package io.hydragen.backend.cpu;

import io.hydragen.backend.Cancellation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A fixed set of worker threads; {@link #forEach} runs tasks 0..n-1 on them and the caller.
 *
 * <p>Cancellation: when the calling thread is interrupted, no new task is started (helpers check a flag between
 * tasks), every helper still running a task is waited for, uninterruptibly, so that no task touches a buffer after
 * {@code forEach} has returned, and then a {@link CancellationException} is thrown with the caller's interrupt
 * status still set.
 */
final class Parallel implements AutoCloseable {
    private final int threads;
    private final ExecutorService pool;

    Parallel(int threads) {
        this.threads = Math.max(1, threads);
        AtomicInteger id = new AtomicInteger();
        this.pool = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(r, "hydragen-cpu-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    int threads() { return threads; }

    /**
     * Runs {@code task.accept(i)} for every i in [0, n); tasks are claimed dynamically, so uneven sizes balance.
     *
     * @throws CancellationException when the calling thread is (or gets) interrupted, or its caller's signal is raised ({@link Cancellation#watching}); the interrupt status stays as it was
     */
    void forEach(int n, IntConsumer task) {
        if (n == 0) return;
        Thread caller = Thread.currentThread();
        if (Cancellation.requested()) throw cancelled();
        if (pool == null || n == 1) {
            for (int i = 0; i < n; i++) {
                if (i > 0 && Cancellation.requested()) throw cancelled();
                task.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Runnable worker = () -> {
            for (int i; !stop.get() && (i = next.getAndIncrement()) < n; ) task.accept(i);
        };
        int helpers = Math.min(threads - 1, n - 1);
        List<Future<?>> futures = new ArrayList<>(helpers);
        Throwable failure = null;
        try {
            for (int h = 0; h < helpers; h++) futures.add(pool.submit(worker));
            for (int i; !stop.get() && (i = next.getAndIncrement()) < n; ) {
                if (Cancellation.requested()) { stop.set(true); break; }
                task.accept(i);
            }
        } catch (Throwable t) {
            failure = t;
            stop.set(true); // a failed pass is thrown away: helpers need not finish it
        }
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;    // keep waiting: the task may still be writing into our buffers
                    stop.set(true);
                } catch (ExecutionException e) {
                    if (failure == null) failure = e.getCause() != null ? e.getCause() : e;
                    stop.set(true);
                    break;
                } catch (CancellationException e) {
                    if (failure == null) failure = new IllegalStateException("the CPU backend was closed during a forward pass");
                    break;
                }
            }
        }
        if (interrupted) caller.interrupt();
        if (Cancellation.requested()) {
            CancellationException c = cancelled();
            if (failure != null) c.addSuppressed(failure);
            throw c;
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }

    private static CancellationException cancelled() {
        return new CancellationException("interrupted: the forward pass was abandoned");
    }

    @Override
    public void close() { if (pool != null) pool.shutdownNow(); }
}
