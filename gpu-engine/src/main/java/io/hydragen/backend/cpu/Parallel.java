package io.hydragen.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/** A fixed set of worker threads; {@link #forEach} runs tasks 0..n-1 on them and the caller. */
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

    /** Runs {@code task.accept(i)} for every i in [0, n); tasks are claimed dynamically, so uneven sizes balance. */
    void forEach(int n, IntConsumer task) {
        if (n == 0) return;
        if (pool == null || n == 1) {
            for (int i = 0; i < n; i++) task.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < n; ) task.accept(i);
        };
        int helpers = Math.min(threads - 1, n - 1);
        List<Future<?>> futures = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) futures.add(pool.submit(worker));
        Throwable failure = null;
        try {
            worker.run();
        } catch (Throwable t) {
            failure = t;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (Exception e) {
                if (failure == null) failure = e.getCause() != null ? e.getCause() : e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }

    @Override
    public void close() { if (pool != null) pool.shutdownNow(); }
}
