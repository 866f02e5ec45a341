package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An interrupted caller stops the pass early, but only returns once every helper's task has finished. */
class ParallelCancellationTest {
    @AfterEach
    void clearInterrupt() { Thread.interrupted(); }

    static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) Thread.onSpinWait();
    }

    @Test
    void interruptedCallerWaitsForHelpersThenThrowsWithTheFlagSet() throws Exception {
        try (Parallel p = new Parallel(4)) {
            int n = 400;
            AtomicInteger started = new AtomicInteger(), running = new AtomicInteger(), maxRunningAtReturn = new AtomicInteger(-1);
            Thread caller = Thread.currentThread();
            Thread canceller = new Thread(() -> {
                while (started.get() < 8) Thread.onSpinWait();
                caller.interrupt();
            });
            canceller.start();
            CancellationException e = assertThrows(CancellationException.class, () -> p.forEach(n, i -> {
                started.incrementAndGet();
                running.incrementAndGet();
                spin(5_000_000); // 5 ms of "writing into buffers"
                running.decrementAndGet();
            }));
            maxRunningAtReturn.set(running.get());
            canceller.join();
            assertEquals(0, maxRunningAtReturn.get(), "a helper was still running a task when forEach returned");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status must stay set");
            assertTrue(started.get() < n, "the pass should stop early, ran " + started.get() + " of " + n);
            assertTrue(e.getMessage().contains("interrupted"));
            Thread.interrupted();
            // the pool is still usable
            AtomicInteger sum = new AtomicInteger();
            p.forEach(100, sum::addAndGet);
            assertEquals(4950, sum.get());
        }
    }

    @Test
    void alreadyInterruptedCallerRunsNothing() {
        for (int threads : new int[] {1, 3}) {
            try (Parallel p = new Parallel(threads)) {
                AtomicInteger ran = new AtomicInteger();
                Thread.currentThread().interrupt();
                assertThrows(CancellationException.class, () -> p.forEach(10, i -> ran.incrementAndGet()));
                assertTrue(Thread.interrupted());
                assertEquals(0, ran.get());
            }
        }
    }

    @Test
    void singleThreadStopsBetweenTasks() {
        try (Parallel p = new Parallel(1)) {
            AtomicInteger ran = new AtomicInteger();
            assertThrows(CancellationException.class, () -> p.forEach(10, i -> {
                if (ran.incrementAndGet() == 3) Thread.currentThread().interrupt();
            }));
            assertTrue(Thread.interrupted());
            assertEquals(3, ran.get());
        }
    }

    @Test
    void taskFailureStillPropagatesAsItself() {
        try (Parallel p = new Parallel(3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.forEach(50, i -> {
                if (i == 7) throw new IllegalArgumentException("boom");
            }));
            assertEquals("boom", e.getMessage());
        }
    }
}
