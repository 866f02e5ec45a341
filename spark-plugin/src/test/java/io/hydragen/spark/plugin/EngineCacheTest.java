package io.hydragen.spark.plugin;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The executor's model cache: one load per key, LRU eviction of idle models only, interruptible engine lock. */
class EngineCacheTest {

    static final class FakeModel implements AutoCloseable {
        final ModelKey key;
        volatile boolean closed;

        FakeModel(ModelKey key) { this.key = key; }

        @Override
        public void close() { closed = true; }
    }

    final List<FakeModel> loaded = new ArrayList<>();
    final AtomicInteger max = new AtomicInteger(1);
    final EngineCache<FakeModel> cache = new EngineCache<>(max::get, k -> {
        FakeModel m = new FakeModel(k);
        synchronized (loaded) {
            loaded.add(m);
        }
        return m;
    });

    static ModelKey key(String model) { return new ModelKey(model, "cpu", 0); }

    @Test
    void aModelIsLoadedOnceAndSharedByEveryLease() {
        try (var a = cache.acquire(key("m")); var b = cache.acquire(key("m"))) {
            assertSame(a.get(), b.get());
            assertEquals(2, cache.openLeases());
        }
        try (var c = cache.acquire(key("m"))) {
            assertSame(loaded.get(0), c.get());
        }
        assertEquals(1, loaded.size());
        assertEquals(1, cache.size());
        assertEquals(0, cache.openLeases());
    }

    @Test
    void anIdleModelIsEvictedAndClosedForAnother() {
        FakeModel first;
        try (var a = cache.acquire(key("a"))) {
            first = a.get();
        }
        assertFalse(first.closed, "kept while it fits");
        try (var b = cache.acquire(key("b"))) {
            assertTrue(first.closed, "the idle LRU model was closed before loading another");
            assertEquals(List.of(key("b")), cache.keys());
        }
    }

    @Test
    void aModelInUseIsNotClosedUnderItsTask() {
        var a = cache.acquire(key("a"));
        FakeModel first = a.get();
        var b = cache.acquire(key("b"));   // max 1, but a is in use: loaded beyond the bound
        assertFalse(first.closed, "a running task's model is never closed under it");
        assertEquals(2, cache.size());
        b.close();
        assertFalse(first.closed);
        a.close();
        a.close(); // idempotent: releases once
        assertEquals(1, cache.size(), "back within the bound once a model is idle");
        assertEquals(0, cache.openLeases());
        assertTrue(first.closed || loaded.get(1).closed, "the surplus idle model was closed");
    }

    @Test
    void anEvictedModelInUseIsClosedOnItsLastRelease() {
        var a = cache.acquire(key("a"));
        FakeModel first = a.get();
        cache.clear();
        assertEquals(0, cache.size());
        assertFalse(first.closed, "still in use");
        a.close();
        assertTrue(first.closed, "closed when its last lease closed");
        assertThrows(IllegalStateException.class, a::get);
    }

    @Test
    void aFailedLoadIsForgottenSoARetryLoadsAgain() {
        AtomicInteger calls = new AtomicInteger();
        EngineCache<FakeModel> flaky = new EngineCache<>(() -> 1, k -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("disk full");
            return new FakeModel(k);
        });
        assertThrows(IllegalStateException.class, () -> flaky.acquire(key("a")));
        assertEquals(0, flaky.openLeases());
        try (var a = flaky.acquire(key("a"))) {
            assertNotNull(a.get());
        }
        assertEquals(2, calls.get());
    }

    @Test
    void waitingForTheEngineLockCanBeInterrupted() throws Exception {
        var holder = cache.acquire(key("m"));
        var waiter = cache.acquire(key("m"));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Thread batch = new Thread(() -> holder.locked(() -> {
            running.countDown();
            try {
                finish.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        batch.start();
        assertTrue(running.await(10, TimeUnit.SECONDS));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicInteger ran = new AtomicInteger();
        Thread queued = new Thread(() -> {
            try {
                waiter.locked(ran::incrementAndGet);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        queued.start();
        Thread.sleep(200);
        assertTrue(queued.isAlive(), "waits while another call holds the engine");
        queued.interrupt();
        // promptly means without waiting for the holder, which holds the lock until finish is counted down: no wall
        // clock bound (a loaded machine may take seconds to schedule the thread), the holder's state says it
        queued.join(60_000);
        assertFalse(queued.isAlive(), "returned after the interrupt");
        assertTrue(batch.isAlive() && finish.getCount() == 1, "while the holder still held the lock");
        assertInstanceOf(CancellationException.class, thrown.get());
        assertEquals(0, ran.get(), "never ran its call");
        finish.countDown();
        batch.join(60_000);
        assertEquals(1, (int) waiter.locked(ran::incrementAndGet), "the lock is free again");
        holder.close();
        waiter.close();
    }

    @Test
    void aHoldKeepsOtherCallersOffTheEngineUntilItIsClosed() throws Exception {
        var stream = cache.acquire(key("m"));
        var other = cache.acquire(key("m"));
        AutoCloseable hold = stream.hold();
        assertEquals(7, (int) stream.locked(() -> 7), "the holder's own calls go through (the lock is reentrant)");
        AtomicInteger ran = new AtomicInteger();
        Thread batch = new Thread(() -> other.locked(ran::incrementAndGet));
        batch.start();
        Thread.sleep(200);
        assertTrue(batch.isAlive(), "another task's batch waits while the stream holds the engine");
        assertEquals(0, ran.get());
        hold.close();
        hold.close();   // idempotent: the lock is released once
        batch.join(60_000);
        assertFalse(batch.isAlive());
        assertEquals(1, ran.get(), "it ran once the stream was closed");
        assertEquals(2, (int) other.locked(ran::incrementAndGet), "the lock is free");
        stream.close();
        other.close();
    }
}
