package io.hydragen.spark.plugin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Loaded models of one JVM, one per {@link ModelKey}, bounded and shared by reference counting.
 *
 * <ul>
 *   <li>{@link #acquire} returns a {@link Lease}: the model, loaded on first use (concurrent first users wait for the
 *       one load in flight; a failed load is forgotten so a retried task tries again).</li>
 *   <li>At most {@code maxModels} are kept: loading another first evicts the least recently used <em>idle</em>
 *       model (no lease open) and closes it. A model leased by a running task is never closed under it; when every
 *       model is in use, the new one is loaded anyway (beyond the bound, with a warning) rather than deadlocking
 *       a task that needs two models, and the surplus is evicted as soon as one becomes idle.</li>
 *   <li>Each model has a fair lock that callers take with {@link Lease#locked}: waiting for it is interruptible,
 *       so a task queued behind another task's long batch can be cancelled.</li>
 * </ul>
 */
public final class EngineCache<E extends AutoCloseable> {
    private static final Logger LOG = LoggerFactory.getLogger(EngineCache.class);

    private final IntSupplier maxModels;
    private final Function<ModelKey, E> loader;
    /** In access order: the first idle entry is the least recently used. */
    private final LinkedHashMap<ModelKey, Slot<E>> slots = new LinkedHashMap<>(16, 0.75f, true);

    /** @param maxModels read at each acquisition (at least 1) */
    public EngineCache(IntSupplier maxModels, Function<ModelKey, E> loader) {
        this.maxModels = maxModels;
        this.loader = loader;
    }

    private static final class Slot<E extends AutoCloseable> {
        final ModelKey key;
        final CompletableFuture<E> value = new CompletableFuture<>();
        final ReentrantLock lock = new ReentrantLock(true);
        int refs;
        boolean evicted;
        boolean closed;

        Slot(ModelKey key) { this.key = key; }

        boolean loaded() { return value.isDone() && !value.isCompletedExceptionally(); }
    }

    /** The model for {@code key}, loading it if needed. Close the lease when done. */
    public Lease<E> acquire(ModelKey key) {
        Slot<E> slot;
        boolean load = false;
        List<Slot<E>> toClose = List.of();
        synchronized (this) {
            slot = slots.get(key);
            if (slot == null) {
                toClose = evictIdle(Math.max(1, maxModels.getAsInt()) - 1);
                if (slots.size() >= Math.max(1, maxModels.getAsInt())) {
                    LOG.warn("loading model {} beyond the limit of {} per executor: every loaded model is in use by "
                            + "a running task ({})", key, maxModels.getAsInt(), slots.keySet());
                }
                slot = new Slot<>(key);
                slots.put(key, slot);
                load = true;
            }
            slot.refs++;
        }
        closeAll(toClose);
        if (load) {
            try {
                slot.value.complete(loader.apply(key));
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    slots.remove(key, slot);
                }
                slot.value.completeExceptionally(e);
            }
        }
        E value;
        try {
            value = await(slot);
        } catch (RuntimeException | Error e) {
            release(slot);
            throw e;
        }
        return new Lease<>(this, slot, value);
    }

    /** Loaded models held (not counting evicted ones still finishing a task). */
    public synchronized int size() {
        return (int) slots.values().stream().filter(Slot::loaded).count();
    }

    /** The keys of the loaded models, least recently used first. */
    public synchronized List<ModelKey> keys() {
        return slots.values().stream().filter(Slot::loaded).map(s -> s.key).toList();
    }

    /** Evicts every model: idle ones are closed now, leased ones when their last lease closes. */
    public void clear() {
        List<Slot<E>> toClose;
        synchronized (this) {
            toClose = evictIdle(0);
            for (Slot<E> s : slots.values()) s.evicted = true;
            slots.clear();
        }
        closeAll(toClose);
    }

    /** Removes idle loaded models, least recently used first, until at most {@code keep} remain; returns them. */
    private List<Slot<E>> evictIdle(int keep) {
        List<Slot<E>> out = new ArrayList<>();
        var it = slots.entrySet().iterator();
        int size = slots.size();
        while (size > keep && it.hasNext()) {
            Slot<E> s = it.next().getValue();
            if (s.refs == 0 && s.loaded()) {
                it.remove();
                s.evicted = true;
                s.closed = true;
                out.add(s);
                size--;
            }
        }
        return out;
    }

    private void release(Slot<E> slot) {
        List<Slot<E>> toClose = new ArrayList<>();
        synchronized (this) {
            slot.refs--;
            if (slot.refs == 0 && slot.evicted && !slot.closed && slot.loaded()) {
                slot.closed = true;
                toClose.add(slot);
            }
            toClose.addAll(evictIdle(Math.max(1, maxModels.getAsInt())));
        }
        closeAll(toClose);
    }

    private void closeAll(List<Slot<E>> slots) {
        for (Slot<E> s : slots) {
            try {
                LOG.info("closing model {} (evicted)", s.key);
                s.value.join().close();
            } catch (Exception e) {
                LOG.warn("closing model {} failed: {}", s.key, e.toString());
            }
        }
    }

    private static <E extends AutoCloseable> E await(Slot<E> slot) {
        try {
            return slot.value.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while model " + slot.key.model() + " was loading");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** A task's hold on a loaded model: the model is not closed while a lease is open. Close it once done. */
    public static final class Lease<E extends AutoCloseable> implements AutoCloseable {
        private final EngineCache<E> cache;
        private final Slot<E> slot;
        private final E value;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Lease(EngineCache<E> cache, Slot<E> slot, E value) {
            this.cache = cache;
            this.slot = slot;
            this.value = value;
        }

        public ModelKey key() { return slot.key; }

        /** The model; only while the lease is open. */
        public E get() {
            if (!open.get()) throw new IllegalStateException("the lease of model " + slot.key.model() + " is closed");
            return value;
        }

        /**
         * Runs {@code call} holding the model's fair lock, so callers take turns in arrival order. Waiting is
         * interruptible: an interrupted waiter gets a {@link CancellationException} (its interrupt flag set again)
         * without ever running {@code call}.
         */
        public <R> R locked(Supplier<R> call) {
            get();   // a closed lease fails here, before it waits
            lockInterruptibly();
            try {
                return call.get();
            } finally {
                slot.lock.unlock();
            }
        }

        /**
         * Takes the model's fair lock (waiting interruptibly, as {@link #locked}) until the returned hold is closed,
         * for a series of calls that must not interleave with other callers' (a continuous stream, whose rows hold KV
         * between its calls). Close the hold on the thread that took it.
         */
        public AutoCloseable hold() {
            get();
            lockInterruptibly();
            AtomicBoolean held = new AtomicBoolean(true);
            return () -> {
                if (held.compareAndSet(true, false)) slot.lock.unlock();
            };
        }

        public boolean isOpen() { return open.get(); }

        /** Takes the model's fair lock, or throws CancellationException (interrupt flag set again) if interrupted waiting. */
        private void lockInterruptibly() {
            try {
                slot.lock.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancellationException("cancelled while waiting for model " + slot.key.model()
                        + " (another task's batch was running on it)");
            }
        }

        /** Releases the model (idempotent); an evicted model is closed when its last lease is. */
        @Override
        public void close() {
            if (open.compareAndSet(true, false)) cache.release(slot);
        }
    }

    /** Open leases over the models held (tests, diagnostics). */
    public synchronized int openLeases() {
        return slots.values().stream().mapToInt(s -> s.refs).sum();
    }
}
